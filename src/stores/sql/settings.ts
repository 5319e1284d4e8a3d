/**
 * The options every SQL-backed store shares (the SQL store, D1, a Durable Object's SQLite),
 * checked at construction. Free of any driver, so that a Worker's bundle of the D1 store
 * carries none of the Node drivers' code.
 */
import { SessionConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Dialect, TableName } from './connection.js';

export interface SqlTableOptions {
  /** Table name (SESSION_SQLALCHEMY_TABLE, SESSION_PEEWEE_TABLE). Default 'sessions'. */
  table?: string;
  /** Schema holding the table (SESSION_SQLALCHEMY_SCHEMA): a PostgreSQL schema, a MySQL database, an attached SQLite database. */
  schema?: string;
  /**
   * Create the table and its index on expiry (IF NOT EXISTS) on first use. Default true.
   * false when you migrate yourself, or when the database user may not create tables
   * (PostgreSQL checks that right even when the table exists): the store's `ddl()` prints
   * the statements to run.
   */
  createTable?: boolean;
  /**
   * Delete expired rows in the background every N reads (SESSION_CLEANUP_N_REQUESTS; set it
   * for SESSION_AUTODELETE). The request never waits for it; failures are logged. Default 0:
   * off — call `deleteExpired()` from a scheduled job instead.
   */
  sweepEveryNRequests?: number;
  /**
   * Most rows one DELETE of expired rows removes, so no statement holds locks for long, and
   * most ids one SELECT of `keys` reads. Default 1000.
   */
  batchSize?: number;
  /** Milliseconds one operation may take before it fails. Default DEFAULT_TIMEOUT_MS. */
  timeout?: number;
  /** Where a failed background sweep and a row that is not a session are reported. Default: console. */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Plain identifiers only, so they are quoted without escaping. 50 characters leave room
 * for the index name (`<table>_expires_at`) within PostgreSQL's 63 and MySQL's 64.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;

/** `factory` names the function the user called ('sqlStore', 'd1Store') in the message. */
export function tableName(factory: string, table = 'sessions', schema?: string): TableName {
  for (const [option, value] of [['table', table], ['schema', schema]] as const) {
    if (value !== undefined && !IDENTIFIER.test(value)) {
      throw new SessionConfigError(
        `${factory}: ${option} must be a plain SQL identifier (letters, digits and _, not starting with a digit, ` +
          `at most 50 characters), got ${JSON.stringify(value)}.`,
      );
    }
  }
  return { table, schema };
}

export function integerOption(factory: string, option: string, value: number | undefined, { fallback, min }: { fallback: number; min: 0 | 1 }): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SessionConfigError(`${factory}: ${option} must be ${min ? 'a positive' : 'a non-negative'} integer, got ${String(value)}.`);
  }
  return value;
}

/** The DDL as SQL text, statements ended with `;`, for migrations of the user's own. */
export function ddlText(dialect: Dialect, name: TableName): string {
  return dialect.ddl(name).map((statement) => `${statement};\n`).join('\n');
}
