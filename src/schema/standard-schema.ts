/**
 * The part of the Standard Schema interface (standardschema.dev, version 1) sessionkit
 * uses, declared here rather than imported from @standard-schema/spec: the published types
 * then name no package an application may lack, and sessionkit has no dependency for it.
 * Zod 4, Valibot 1 and ArkType 2 schemas fit it as they are (test/core/schema.test.ts
 * checks it against the spec's own types).
 */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    /** Checks a value: its (possibly transformed) value, or the issues; a validator with asynchronous checks answers with a promise. */
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    /** Types only: what the schema reads and gives back. */
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined;
  };
}

export type SchemaResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly SchemaIssue[] };

/** One thing wrong with a value: the validator's message and where in the value. */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** What a schema gives back, as a type: the session data type of an application with `schema`. */
export type SchemaOutput<S extends StandardSchema> = NonNullable<S['~standard']['types']>['output'];

/** Whether a value is a Standard Schema (checked at start-up). */
export function isStandardSchema(value: unknown): value is StandardSchema {
  const standard = (value as Partial<StandardSchema> | null | undefined)?.['~standard'];
  return typeof standard === 'object' && standard !== null && standard.version === 1 && typeof standard.validate === 'function';
}

/**
 * The fields an issue is about, e.g. `cart.0.sku`, or `(the whole session)`: what messages
 * show of a failed check. Never the validator's own message, which may repeat the stored value.
 */
export function issuePaths(issues: readonly SchemaIssue[]): string {
  const paths = new Set(issues.map((issue) => (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.') || '(the whole session)'));
  const shown = [...paths].slice(0, 5);
  return shown.join(', ') + (paths.size > shown.length ? ` and ${paths.size - shown.length} more` : '');
}
