/**
 * PostgreSQL: its SQL, and node-postgres (`pg`) Pools and Clients as handles.
 */
import { doubleQuoted, expiryIndexName, hostPort, keysPage, type Dialect, type SqlConnection } from '../connection.js';

/** What the store uses of a `pg` Pool or Client. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  connect(...args: never[]): unknown;
}

/**
 * Errors of two CREATE … IF NOT EXISTS racing each other: both pass the existence check,
 * the loser then hits the catalog's unique index (23505) or finds the object (42P07, 42710).
 */
const CREATE_RACE_CODES = new Set(['23505', '42P07', '42710']);

export const postgresDialect: Dialect = {
  name: 'postgres',
  label: 'PostgreSQL',
  placeholders: 'dollar',

  ddl(name) {
    const t = doubleQuoted(name);
    return [
      // COLLATE "C": byte-wise comparison of ids, case-sensitive and the fastest there is.
      `CREATE TABLE IF NOT EXISTS ${t} (
  id VARCHAR(255) COLLATE "C" NOT NULL PRIMARY KEY,
  data BYTEA NOT NULL,
  expires_at BIGINT NOT NULL,
  version BIGINT NOT NULL
)`,
      // An index is created in its table's schema, so its name is not qualified.
      `CREATE INDEX IF NOT EXISTS "${expiryIndexName(name.table)}" ON ${t} (expires_at)`,
    ];
  },

  statements(name, batchSize) {
    const t = doubleQuoted(name);
    return {
      get: `SELECT data, expires_at, version FROM ${t} WHERE id = :id AND expires_at > :now`,
      getExpired: `SELECT data, expires_at, version FROM ${t} WHERE id = :id AND expires_at <= :now`,
      set: `INSERT INTO ${t} (id, data, expires_at, version) VALUES (:id, :data, :expiresAt, :version)
ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at, version = EXCLUDED.version`,
      // The conflicting row is locked and the WHERE re-checked on its latest version, so
      // of several concurrent creates exactly one inserts (or replaces an expired row).
      create: `INSERT INTO ${t} AS cur (id, data, expires_at, version) VALUES (:id, :data, :expiresAt, :version)
ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at, version = EXCLUDED.version
WHERE cur.expires_at <= :now`,
      setIf: `UPDATE ${t} SET data = :data, expires_at = :expiresAt, version = :version
WHERE id = :id AND version = :expected AND expires_at > :now`,
      touch: `UPDATE ${t} SET expires_at = :expiresAt WHERE id = :id AND expires_at > :now`,
      delete: `DELETE FROM ${t} WHERE id = :id`,
      // The outer expiry test is re-checked on a row touched meanwhile, which then survives.
      deleteExpiredBatch: `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= :now LIMIT ${batchSize})
AND expires_at <= :now`,
      countExpired: `SELECT COUNT(*) AS expired FROM ${t} WHERE expires_at <= :now`,
      keysPage: (page) => keysPage(t, batchSize, page),
    };
  },

  isCreateRace(error) {
    return CREATE_RACE_CODES.has(String((error as { code?: unknown } | null)?.code));
  },
};

/** A `pg` Pool or Client: `query` and `connect`, and none of mysql2's `execute`. */
export function isPgHandle(handle: object): handle is PgQueryable {
  const h = handle as Record<string, unknown>;
  return typeof h.query === 'function' && typeof h.connect === 'function' && typeof h.execute !== 'function';
}

export function pgConnection(handle: PgQueryable): SqlConnection {
  return {
    dialect: postgresDialect,
    remedy: `Is the PostgreSQL server${at(handle)} up and reachable?`,
    async run(sql, params) {
      const result = await handle.query(sql, params as unknown[]);
      return { rows: result.rows as Record<string, unknown>[], affected: result.rowCount ?? 0 };
    },
  };
}

/** ' at host:port' from a Pool's options, a Client's fields or a connection string. */
function at(handle: PgQueryable): string {
  const settings = ((handle as { options?: unknown }).options ?? handle) as Record<string, unknown>;
  let address = hostPort(settings.host, settings.port, 5432);
  if (!address && typeof settings.connectionString === 'string') {
    try {
      const url = new URL(settings.connectionString);
      address = hostPort(url.hostname, url.port || 5432, 5432);
    } catch {
      // Not a URL (a key=value string): say nothing rather than something wrong.
    }
  }
  return address ? ` at ${address}` : '';
}
