/** The SQL store's options checked at construction, and the handle told apart by its shape. */
import { describeValue, SessionConfigError } from '../../core/errors.js';
import type { DialectName, SqlConnection } from './connection.js';
import type { KyselyLike } from './kysely.js';
import type { Mysql2Queryable } from './dialects/mysql.js';
import type { PgQueryable } from './dialects/postgres.js';
import type { BetterSqliteDatabase } from './dialects/sqlite.js';
import { isKyselyHandle, kyselyConnection } from './kysely.js';
import { isMysql2Handle, mysql2Connection, mysqlDialect } from './dialects/mysql.js';
import { isPgHandle, pgConnection, postgresDialect } from './dialects/postgres.js';
import { betterSqliteConnection, isBetterSqliteHandle, sqliteDialect } from './dialects/sqlite.js';
import type { SqlTableOptions } from './settings.js';

export type SqlClient = PgQueryable | Mysql2Queryable | BetterSqliteDatabase | KyselyLike;

export interface SqlStoreOptions extends SqlTableOptions {
  /**
   * Your database handle (SESSION_SQLALCHEMY, SESSION_PEEWEE_CONFIG): a pg Pool or
   * Client, a mysql2 pool or connection, a better-sqlite3 Database or a Kysely instance.
   * Borrowed: `close()` leaves it open.
   */
  client: SqlClient;
  /** Only for a Kysely instance whose adapter is not recognised: the dialect it speaks. */
  dialect?: DialectName;
}

/** Options of `sqlStore.ddl()`. */
export interface SqlDdlOptions {
  dialect: DialectName;
  table?: string;
  schema?: string;
}

export const DIALECTS = { postgres: postgresDialect, mysql: mysqlDialect, sqlite: sqliteDialect };

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
