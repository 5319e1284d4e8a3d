/** The SQL store's options checked at construction, and the handle told apart by its shape. */
import { describeValue, SessionConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DialectName, SqlConnection, TableName } from './connection.js';
import type { KyselyLike } from './kysely.js';
import type { Mysql2Queryable } from './dialects/mysql.js';
import type { PgQueryable } from './dialects/postgres.js';
import type { BetterSqliteDatabase } from './dialects/sqlite.js';
import { isKyselyHandle, kyselyConnection } from './kysely.js';
import { isMysql2Handle, mysql2Connection, mysqlDialect } from './dialects/mysql.js';
import { isPgHandle, pgConnection, postgresDialect } from './dialects/postgres.js';
import { betterSqliteConnection, isBetterSqliteHandle, sqliteDialect } from './dialects/sqlite.js';

export type SqlClient = PgQueryable | Mysql2Queryable | BetterSqliteDatabase | KyselyLike;

export interface SqlStoreOptions {
  /**
   * Your database handle (SESSION_SQLALCHEMY, SESSION_PEEWEE_CONFIG): a pg Pool or
   * Client, a mysql2 pool or connection, a better-sqlite3 Database or a Kysely instance.
   * Borrowed: `close()` leaves it open.
   */
  client: SqlClient;
  /** Table name (SESSION_SQLALCHEMY_TABLE, SESSION_PEEWEE_TABLE). Default 'sessions'. */
  table?: string;
  /** Schema holding the table (SESSION_SQLALCHEMY_SCHEMA): a PostgreSQL schema, a MySQL database, an attached SQLite database. */
  schema?: string;
  /**
   * Create the table and its index on expiry (IF NOT EXISTS) on first use. Default true.
   * false when you migrate yourself, or when the database user may not create tables
   * (PostgreSQL checks that right even when the table exists): `sqlStore.ddl()` prints the
   * statements to run.
   */
  createTable?: boolean;
  /**
   * Delete expired rows in the background every N reads (SESSION_CLEANUP_N_REQUESTS; set it
   * for SESSION_AUTODELETE). The request never waits for it; failures are logged. Default 0:
   * off — call `deleteExpired()` from a scheduled job instead.
   */
  sweepEveryNRequests?: number;
  /** Most rows one DELETE of expired rows removes, so no statement holds locks for long. Default 1000. */
  batchSize?: number;
  /** Milliseconds one operation may take before it fails. Default DEFAULT_TIMEOUT_MS. */
  timeout?: number;
  /** Only for a Kysely instance whose adapter is not recognised: the dialect it speaks. */
  dialect?: DialectName;
  /** Where a failed background sweep and a row that is not a session are reported. Default: console. */
  logger?: Pick<Logger, 'warn'>;
}

/** Options of `sqlStore.ddl()`. */
export interface SqlDdlOptions {
  dialect: DialectName;
  table?: string;
  schema?: string;
}

export const DIALECTS = { postgres: postgresDialect, mysql: mysqlDialect, sqlite: sqliteDialect };

/**
 * Plain identifiers only, so they are quoted without escaping. 50 characters leave room
 * for the index name (`<table>_expires_at`) within PostgreSQL's 63 and MySQL's 64.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,49}$/;

export function checkDialect(dialect: unknown, option: string): asserts dialect is DialectName | undefined {
  if (dialect !== undefined && !Object.hasOwn(DIALECTS, dialect as string)) {
    throw new SessionConfigError(`${option} must be 'postgres', 'mysql' or 'sqlite', got ${describeValue(dialect)}.`);
  }
}

export function connect(client: unknown, dialect: DialectName | undefined): SqlConnection {
  if (typeof client === 'object' && client !== null) {
    // Kysely first: it is the one wrapper; then by the methods only each library has.
    if (isKyselyHandle(client)) return kyselyConnection(client, dialect ? `sql:${dialect}` : 'sql', dialect);
    if (isBetterSqliteHandle(client)) return betterSqliteConnection(client);
    if (isMysql2Handle(client)) return mysql2Connection(client);
    if (isPgHandle(client)) return pgConnection(client);
  }
  throw new SessionConfigError(
    'sqlStore: `client` must be a pg Pool or Client, a mysql2 pool or connection, a better-sqlite3 Database ' +
      `or a Kysely instance; got ${typeof client === 'object' && client !== null ? (client.constructor?.name ?? 'an object') : String(client)}.`,
  );
}

export function tableName(table = 'sessions', schema?: string): TableName {
  for (const [option, value] of [['table', table], ['schema', schema]] as const) {
    if (value !== undefined && !IDENTIFIER.test(value)) {
      throw new SessionConfigError(
        `sqlStore: ${option} must be a plain SQL identifier (letters, digits and _, not starting with a digit, ` +
          `at most 50 characters), got ${JSON.stringify(value)}.`,
      );
    }
  }
  return { table, schema };
}

export function integerOption(option: string, value: number | undefined, fallback: number, min: 0 | 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SessionConfigError(`sqlStore: ${option} must be ${min ? 'a positive' : 'a non-negative'} integer, got ${String(value)}.`);
  }
  return value;
}
