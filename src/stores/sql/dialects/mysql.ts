/**
 * MySQL and MariaDB: their SQL, and mysql2 pools and connections as handles, with the
 * promise API (`mysql2/promise`) or the callback API (`mysql2`).
 */
import { expiryIndexName, hostPort, keysPage, type Dialect, type SqlConnection, type TableName } from '../connection.js';

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * A mysql2 pool or connection (promise or callback API). Loosely typed: mysql2's overloads
 * of the two APIs fit no one signature; `execute` is called as {@link Execute}.
 */
export interface Mysql2Queryable {
  execute(...args: never[]): unknown;
  query(...args: never[]): unknown;
}

type Execute = (sql: string, values: unknown[], callback?: Callback) => unknown;

const quoted = ({ table, schema }: TableName, name = table) => (schema ? `\`${schema}\`.\`${name}\`` : `\`${name}\``);

export const mysqlDialect: Dialect = {
  name: 'mysql',
  label: 'MySQL/MariaDB',
  placeholders: 'question',

  ddl(name) {
    // One statement, so creating it is atomic under the server's metadata lock. utf8mb4_bin:
    // ids compare byte-wise (case-sensitive, every unicode id distinct); 255 × 4 bytes fit
    // InnoDB's index key limit. LONGBLOB: MEDIUMBLOB would stop at 16 MiB.
    return [
      `CREATE TABLE IF NOT EXISTS ${quoted(name)} (
  id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  data LONGBLOB NOT NULL,
  expires_at BIGINT NOT NULL,
  version BIGINT NOT NULL,
  INDEX \`${expiryIndexName(name.table)}\` (expires_at)
) ENGINE=InnoDB`,
    ];
  },

  statements(name, batchSize) {
    const t = quoted(name);
    return {
      get: `SELECT data, expires_at, version FROM ${t} WHERE id = :id AND expires_at > :now`,
      getExpired: `SELECT data, expires_at, version FROM ${t} WHERE id = :id AND expires_at <= :now`,
      // VALUES(col), not the MySQL 8 row alias: MariaDB knows only this form.
      set: `INSERT INTO ${t} (id, data, expires_at, version) VALUES (:id, :data, :expiresAt, :version)
ON DUPLICATE KEY UPDATE data = VALUES(data), expires_at = VALUES(expires_at), version = VALUES(version)`,
      // An ON DUPLICATE KEY UPDATE that leaves a live row alone reports 1 row under mysql2's
      // default CLIENT_FOUND_ROWS, like an insert: it cannot tell "created" from "refused".
      // So: INSERT IGNORE (1 = inserted, whatever the flags), then, if a row was there,
      // replace it only if expired. The UPDATE locks the row and re-reads its latest version,
      // so of several concurrent creates exactly one wins.
      create: `INSERT IGNORE INTO ${t} (id, data, expires_at, version) VALUES (:id, :data, :expiresAt, :version)`,
      replaceExpired: `UPDATE ${t} SET data = :data, expires_at = :expiresAt, version = :version
WHERE id = :id AND expires_at <= :now`,
      // Every write sets a new version, so a matched row is always a changed row: "affected
      // rows" is 1 on success with or without CLIENT_FOUND_ROWS.
      setIf: `UPDATE ${t} SET data = :data, expires_at = :expiresAt, version = :version
WHERE id = :id AND version = :expected AND expires_at > :now`,
      touch: `UPDATE ${t} SET expires_at = :expiresAt WHERE id = :id AND expires_at > :now`,
      delete: `DELETE FROM ${t} WHERE id = :id`,
      deleteExpiredBatch: `DELETE FROM ${t} WHERE expires_at <= :now LIMIT ${batchSize}`,
      countExpired: `SELECT COUNT(*) AS expired FROM ${t} WHERE expires_at <= :now`,
      keysPage: (page) => keysPage(t, batchSize, page),
    };
  },

  isCreateRace() {
    return false; // CREATE TABLE IF NOT EXISTS is atomic on MySQL and MariaDB
  },
};

/** mysql2: `execute` next to `query` (pg has no `execute`). */
export function isMysql2Handle(handle: object): handle is Mysql2Queryable {
  const h = handle as Record<string, unknown>;
  return typeof h.execute === 'function' && typeof h.query === 'function';
}

/**
 * The parameters with bytes as Buffers: mysql2 sends a Buffer as a BLOB, but any other
 * Uint8Array as a string in the connection's charset, which MariaDB may convert. A view,
 * no copy. (pg and better-sqlite3 take a Uint8Array as it is.)
 */
export function mysqlParams(params: readonly unknown[]): unknown[] {
  return params.map((value) =>
    value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value,
  );
}

export function mysql2Connection(handle: Mysql2Queryable): SqlConnection {
  // The callback API's objects offer `.promise()`; the promise API's do not.
  const callbacks = typeof (handle as { promise?: unknown }).promise === 'function';
  const execute = handle.execute.bind(handle) as Execute;
  return {
    dialect: mysqlDialect,
    remedy: `Is the MySQL/MariaDB server${at(handle)} up and reachable?`,
    async run(sql, params) {
      // execute: a server-side prepared statement, cached per connection; blobs go as bytes.
      const values = mysqlParams(params);
      const result = callbacks
        ? await new Promise<unknown>((resolve, reject) => execute(sql, values, (error, rows) => (error ? reject(error) : resolve(rows))))
        : ((await execute(sql, values)) as [unknown, unknown])[0];
      if (Array.isArray(result)) return { rows: result as Record<string, unknown>[], affected: 0 };
      return { rows: [], affected: (result as { affectedRows?: number }).affectedRows ?? 0 };
    },
  };
}

/** ' at host:port' from a pool's connection settings (under `.pool` for a promise pool) or a connection's. */
function at(handle: Mysql2Queryable): string {
  const core = ((handle as { pool?: unknown }).pool ?? (handle as { connection?: unknown }).connection ?? handle) as {
    config?: { connectionConfig?: Record<string, unknown> } & Record<string, unknown>;
  };
  const config = core.config?.connectionConfig ?? core.config;
  const address = config && hostPort(config.host, config.port, 3306);
  return address ? ` at ${address}` : '';
}
