import { SessionConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { OnInvalidSession, SchemaSettings } from './session-schema.js';
import { isStandardSchema } from './standard-schema.js';

/** The options of the schema feature, as given. */
export interface SchemaOptionsGiven {
  schema?: unknown;
  onInvalid?: OnInvalidSession;
  validateWrites?: boolean;
}

/** The schema feature's settings, or undefined without `schema`; a setting that cannot work fails here, at start-up. */
export function resolveSchema(given: SchemaOptionsGiven, logger: Logger): SchemaSettings | undefined {
  const { schema, onInvalid = 'fresh', validateWrites = false } = given;
  if (schema === undefined) {
    const orphan = given.onInvalid !== undefined ? 'onInvalid' : given.validateWrites !== undefined ? 'validateWrites' : undefined;
    if (orphan) throw new SessionConfigError(`"${orphan}" is set without "schema": it says what to do with sessions the schema refuses. Set schema too, or remove ${orphan}.`);
    return undefined;
  }
  if (!isStandardSchema(schema)) {
    throw new SessionConfigError('"schema" must be a Standard Schema validator (a zod, valibot or arktype schema, or any with a "~standard" property of version 1).');
  }
  if (onInvalid !== 'fresh' && onInvalid !== 'error' && typeof onInvalid !== 'function') {
    throw new SessionConfigError(`"onInvalid" must be 'fresh', 'error' or a function that upgrades an old session's data.`);
  }
  if (typeof validateWrites !== 'boolean') throw new SessionConfigError('"validateWrites" must be true or false.');
  return { schema, onInvalid, validateWrites, logger };
}
