import type { Logger } from '../core/logger.js';
import type { MaybePromise } from '../crypto/primitives.js';
import { InvalidSessionError } from './invalid-session-error.js';
import { issuePaths, type SchemaIssue, type SchemaResult, type StandardSchema } from './standard-schema.js';

/**
 * What a stored session that does not match the schema becomes: a fresh session (with one
 * warning), an `InvalidSessionError` the application's error handling receives, or the data
 * a function makes of it (an old shape upgraded), which is checked again.
 */
export type OnInvalidSession = 'fresh' | 'error' | UpgradeSession;

/** Makes data of the current shape from a stored session that does not match the schema; `issues` say what did not. */
export type UpgradeSession = (data: Record<string, unknown>, issues: readonly SchemaIssue[]) => object | Promise<object>;

export interface SchemaSettings {
  readonly schema: StandardSchema;
  readonly onInvalid: OnInvalidSession;
  readonly validateWrites: boolean;
  readonly logger: Logger;
}

/** A stored session's data as the schema gave it back, or undefined: start a fresh session (warned). */
export type CheckedData = Record<string, unknown> | undefined;

/**
 * The `schema` option: a loaded session's data checked with a Standard Schema validator
 * (`loaded`), and with `validateWrites` a session's data before it is written (`written`).
 * Each check answers at once, or with a promise when the validator does.
 */
export class SessionSchema {
  readonly #settings: SchemaSettings;

  constructor(settings: SchemaSettings) {
    this.#settings = settings;
  }

  get validatesWrites(): boolean {
    return this.#settings.validateWrites;
  }

  /**
   * A stored session's data as the schema gives it back (`name` says which session, for a
   * warning: asked only then). Throws (or rejects with) an InvalidSessionError with `onInvalid: 'error'`.
   */
  loaded(data: Record<string, unknown>, name: () => string): MaybePromise<CheckedData> {
    return then(this.#check(data), (result) => (result.issues ? this.#invalid(data, result.issues, name) : result.value));
  }

  /** With `validateWrites`: nothing, or an InvalidSessionError thrown (or a rejection) when `data` does not match. */
  written(data: Record<string, unknown>): MaybePromise<void> {
    return then(this.#check(data), (result) => {
      if (result.issues) throw new InvalidSessionError('write', result.issues);
    });
  }

  #invalid(data: Record<string, unknown>, issues: readonly SchemaIssue[], name: () => string): MaybePromise<CheckedData> {
    const onInvalid = this.#settings.onInvalid;
    if (onInvalid === 'error') throw new InvalidSessionError('load', issues);
    if (onInvalid === 'fresh') {
      this.#warnFresh(name, `does not match the schema (at ${issuePaths(issues)})`);
      return undefined;
    }
    return then(onInvalid(data, issues), (upgraded) =>
      then(this.#check(upgraded), (result) => {
        if (!result.issues) return result.value;
        this.#warnFresh(name, `does not match the schema, nor does what onInvalid made of it (at ${issuePaths(result.issues)})`);
        return undefined;
      }),
    );
  }

  #warnFresh(name: () => string, problem: string): void {
    this.#settings.logger.warn(`${name()} ${problem}; starting a fresh session. A deploy that changed the session's shape causes this: upgrade old sessions in onInvalid.`);
  }

  /** The validator's verdict; an output that is not an object cannot be a session's data, and counts as an issue. */
  #check(data: unknown): MaybePromise<SchemaResult<Record<string, unknown>>> {
    return then(this.#settings.schema['~standard'].validate(data), (result) =>
      result.issues || isRecord(result.value) ? (result as SchemaResult<Record<string, unknown>>) : { issues: [{ message: 'the schema gave back something that is not an object' }] },
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `next` applied to a value now, or once its promise settles: no promise turn for a validator that answers at once. */
function then<A, B>(value: MaybePromise<A>, next: (value: A) => MaybePromise<B>): MaybePromise<B> {
  return value instanceof Promise ? value.then(next) : next(value);
}
