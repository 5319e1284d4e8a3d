/**
 * SQLite: its SQL, and better-sqlite3 Databases as handles.
 */
import { doubleQuoted, expiryIndexName, keysPage, type Dialect, type SqlConnection } from '../connection.js';

interface PreparedStatement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** What the store uses of a better-sqlite3 Database. */
export interface BetterSqliteDatabase {
  prepare(sql: string): PreparedStatement;
  exec(sql: string): unknown;
  readonly name: string;
  readonly inTransaction: boolean;
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  label: 'SQLite',
  placeholders: 'question',

  ddl(name) {
    // The layout of the sqlite store (stores/sqlite/), so either store opens the other's table.
    // BIGINT has INTEGER affinity; a rowid table, which suits rows of up to megabytes.
    const index = name.schema ? `"${name.schema}"."${expiryIndexName(name.table)}"` : `"${expiryIndexName(name.table)}"`;
    return [
      `CREATE TABLE IF NOT EXISTS ${doubleQuoted(name)} (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  data BLOB NOT NULL,
  expires_at BIGINT NOT NULL,
  version BIGINT NOT NULL
)`,
      // SQLite qualifies the index name, never the table after ON.
      `CREATE INDEX IF NOT EXISTS ${index} ON "${name.table}" (expires_at)`,
    ];
  },

  statements(name, batchSize) {
    const t = doubleQuoted(name);
    // One writer at a time on the whole file: every statement here is atomic as it stands.
    return {
      get: `SELECT data, expires_at, version FROM ${t} WHERE id = :id AND expires_at > :now`,
      getExpired: `SELECT data, expires_at, version FROM ${t} WHERE id = :id AND expires_at <= :now`,
      set: `INSERT INTO ${t} (id, data, expires_at, version) VALUES (:id, :data, :expiresAt, :version)
ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, version = excluded.version`,
      create: `INSERT INTO ${t} (id, data, expires_at, version) VALUES (:id, :data, :expiresAt, :version)
ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, version = excluded.version
WHERE expires_at <= :now`,
      setIf: `UPDATE ${t} SET data = :data, expires_at = :expiresAt, version = :version
WHERE id = :id AND version = :expected AND expires_at > :now`,
      touch: `UPDATE ${t} SET expires_at = :expiresAt WHERE id = :id AND expires_at > :now`,
      delete: `DELETE FROM ${t} WHERE id = :id`,
      // By id, not rowid: a table migrated by hand may be WITHOUT ROWID.
      deleteExpiredBatch: `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= :now LIMIT ${batchSize})`,
      countExpired: `SELECT COUNT(*) AS expired FROM ${t} WHERE expires_at <= :now`,
      keysPage: (page) => keysPage(t, batchSize, page),
    };
  },

  isCreateRace() {
    return false; // the database's write lock serializes the CREATEs
  },
};

/** A better-sqlite3 Database: `prepare`, `exec` and its `inTransaction` flag. */
export function isBetterSqliteHandle(handle: object): handle is BetterSqliteDatabase {
  const h = handle as Record<string, unknown>;
  return typeof h.prepare === 'function' && typeof h.exec === 'function' && typeof h.inTransaction === 'boolean';
}

export function betterSqliteConnection(db: BetterSqliteDatabase): SqlConnection {
  // Prepared once per SQL text; better-sqlite3 runs them synchronously, in microseconds.
  const prepared = new Map<string, PreparedStatement>();
  const runSync = (sql: string, params: readonly unknown[]) => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      prepared.set(sql, statement);
    }
    if (statement.reader) return { rows: statement.all(...params) as Record<string, unknown>[], affected: 0 };
    return { rows: [], affected: statement.run(...params).changes };
  };
  return {
    dialect: sqliteDialect,
    remedy: `Is the SQLite database ${db.name} open and writable, with room left on its disk?`,
    runSync,
    run: async (sql, params) => runSync(sql, params),
  };
}
