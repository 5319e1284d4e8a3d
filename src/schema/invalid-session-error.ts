import { issuePaths, type SchemaIssue } from './standard-schema.js';

/**
 * A session's data does not match the `schema` option: a stored session read with
 * `onInvalid: 'error'` (thrown on load, so the adapter hands it to the framework's error
 * handling), or a session refused at commit with `validateWrites`. `issues` holds the
 * validator's issues; the message names only the fields, since a validator's own messages
 * may repeat the stored values.
 */
export class InvalidSessionError extends Error {
  override readonly name = 'InvalidSessionError';
  /** 'load': a stored session read; 'write': a session refused at commit (`validateWrites`). */
  readonly during: 'load' | 'write';
  readonly issues: readonly SchemaIssue[];

  constructor(during: 'load' | 'write', issues: readonly SchemaIssue[]) {
    super(
      during === 'load'
        ? `sessionkit: a stored session does not match the schema (at ${issuePaths(issues)}); onInvalid is 'error'.`
        : `sessionkit: the session does not match the schema (at ${issuePaths(issues)}), so it was not written (validateWrites).`,
    );
    this.during = during;
    this.issues = issues;
  }
}
