/**
 * A Durable Object's SQLite storage (`ctx.storage.sql`) as a connection of the SQL store,
 * typed by the one method called on it. Its calls are synchronous and run inside the
 * object, one event at a time: every statement of the SQL store is atomic as it stands.
 */
import type { SqlConnection, SqlResult } from '../sql/connection.js';
import { sqliteDialect } from '../sql/dialects/sqlite.js';

/** What is called on `ctx.storage.sql`. */
export interface SqlStorageLike {
  exec(query: string, ...bindings: unknown[]): { toArray(): unknown[] };
}

/** A BLOB comes back as an ArrayBuffer; the store reads a Uint8Array. */
function withBytes(row: Record<string, unknown>): Record<string, unknown> {
  return row.data instanceof ArrayBuffer ? { ...row, data: new Uint8Array(row.data) } : row;
}

export function sqlStorageConnection(sql: SqlStorageLike): SqlConnection {
  const runSync = (query: string, params: readonly unknown[]): SqlResult => {
    const rows = sql.exec(query, ...params).toArray() as Record<string, unknown>[];
    if (/^\s*select/i.test(query)) return { rows: rows.map(withBytes), affected: 0 };
    // The cursor's rowsWritten counts index entries too; changes() counts rows, as the
    // store needs, and nothing runs between the two calls.
    const [changed] = sql.exec('SELECT changes() AS n').toArray() as { n: number }[];
    return { rows: [], affected: changed?.n ?? 0 };
  };
  return {
    dialect: sqliteDialect,
    remedy: 'Is the Durable Object class declared with SQLite storage (new_sqlite_classes in a migration of its wrangler configuration)?',
    runSync,
    run: async (query, params) => runSync(query, params),
  };
}
