/**
 * Sessions in an SQL database you already have: PostgreSQL, MySQL/MariaDB or SQLite.
 * Flask-Session's `sqlalchemy` and Flask-Session2's `peewee` backends.
 *
 *   const pool = new pg.Pool({ connectionString });
 *   pool.on('error', log); // as node-postgres asks: a restarted server ends idle clients
 *   app.use(sessionkit({ store: sqlStore({ client: pool }), secret }));
 *
 * Handles accepted (`client`), told apart by their shape, each borrowed and never closed:
 * - a `pg` Pool or Client (PostgreSQL);
 * - a `mysql2` pool or connection, promise API (`mysql2/promise`) or callback API (MySQL, MariaDB);
 * - a `better-sqlite3` Database (SQLite);
 * - a Kysely instance over any of the three: the dialect is read from its adapter
 *   (PostgresAdapter, MysqlAdapter, SqliteAdapter, or a subclass) and the SQL below runs
 *   through it as raw queries.
 *
 * The store is named after its dialect ('sql:postgres', 'sql:mysql', 'sql:sqlite') in
 * every error and log line.
 *
 * Table (see `sqlStore.ddl()`): `id VARCHAR(255)` primary key (byte-wise compared: COLLATE
 * "C" on PostgreSQL, utf8mb4_bin on MySQL), `data` BYTEA / LONGBLOB / BLOB, `expires_at`
 * BIGINT epoch milliseconds with an index, `version` BIGINT. Every write stores a fresh
 * random version, so the version a write returns is known without reading it back.
 *
 * Statements per operation (each one round trip, bounded by `timeout`):
 * - get: 1 SELECT by primary key with `expires_at > now`, so an expired row reads as absent.
 * - getExpired: 1 SELECT by primary key with `expires_at <= now` (an expired row not swept
 *   yet), asked only to tell why a session is gone when someone listens for `missed`.
 * - set: 1 upsert (ON CONFLICT … DO UPDATE / ON DUPLICATE KEY UPDATE).
 * - create: 1 INSERT that also replaces an expired row (PostgreSQL, SQLite: ON CONFLICT …
 *   WHERE expired); MySQL: 1 INSERT IGNORE, plus 1 UPDATE … WHERE expired only when the id
 *   is taken. Concurrent creates of one id: exactly one wins.
 * - setIf: 1 UPDATE … WHERE id AND version AND not expired.
 * - touch: 1 UPDATE of expires_at only; the version stays.
 * - delete: 1 DELETE.
 * - deleteExpired: DELETEs of at most `batchSize` rows each until one removes fewer (or `limit`
 *   rows are gone: the last DELETE then removes at most what is left of it).
 * - countExpired: 1 SELECT COUNT(*) on the expiry index.
 * - keys(prefix): 1 SELECT per page of at most `batchSize` live ids, a range on the primary
 *   key resumed after the last id listed (never on a request's path).
 * - the first operation of a store with `createTable` also runs the DDL (once).
 * An unmodified request of an existing session therefore costs exactly one SELECT.
 *
 * Flask-Session keys: SESSION_SQLALCHEMY (or SESSION_PEEWEE_CONFIG's database) → `client`;
 * SESSION_SQLALCHEMY_TABLE, SESSION_PEEWEE_TABLE → `table`; SESSION_SQLALCHEMY_SCHEMA → `schema`;
 * SESSION_CLEANUP_N_REQUESTS, SESSION_AUTODELETE → `sweepEveryNRequests`. No equivalent:
 * SESSION_SQLALCHEMY_SEQUENCE named the sequence of an integer surrogate key, and here the
 * session id itself is the primary key, so there is no sequence; SESSION_SQLALCHEMY_BIND_KEY
 * chose one of Flask-SQLAlchemy's configured engines, and here you pass that database's
 * handle itself; SESSION_SQLALCHEMY_MODEL customised the ORM model, and here the table is
 * yours to extend (createTable: false) as long as the four columns stay.
 */
import { checkDialect, connect, DIALECTS, type SqlClient, type SqlDdlOptions, type SqlStoreOptions } from './options.js';
import { ddlText, tableName, type SqlTableOptions } from './settings.js';
import { SqlTableStore } from './table-store.js';
import type { DialectName } from './connection.js';

export type { DialectName, SqlClient, SqlDdlOptions, SqlStoreOptions, SqlTableOptions };

/** The SQL store on a Node driver's handle (or Kysely), its dialect told from the handle. */
export class SqlStore extends SqlTableStore {
  constructor(options: SqlStoreOptions) {
    checkDialect(options.dialect, 'sqlStore: dialect');
    super(connect(options.client, options.dialect), options, 'sqlStore');
  }
}

/**
 * A store over your SQL handle; see the module comment for handles, table layout and the
 * statements each operation costs. `sqlStore.ddl()` prints the table's DDL.
 */
export function sqlStore(options: SqlStoreOptions): SqlStore {
  return new SqlStore(options);
}

/**
 * The CREATE TABLE and CREATE INDEX statements the store would run on first use, as SQL
 * text (statements end with `;`), for migrations of your own with `createTable: false`.
 *
 *   console.log(sqlStore.ddl({ dialect: 'postgres', table: 'sessions', schema: 'app' }));
 */
sqlStore.ddl = function ddl(options: SqlDdlOptions): string {
  checkDialect(options.dialect, 'sqlStore.ddl: dialect');
  return ddlText(DIALECTS[options.dialect], tableName('sqlStore', options.table, options.schema));
};

