/**
 * A D1 binding as a connection of the SQL store, typed by the few methods called on it:
 * the application passes `env.DB`, so the store needs no Cloudflare library.
 */
import type { SqlConnection, SqlResult } from '../sql/connection.js';
import { sqliteDialect } from '../sql/dialects/sqlite.js';

/** What the store calls on a prepared statement of D1. */
export interface D1StatementLike {
  bind(...values: unknown[]): D1StatementLike;
  all(): Promise<{ results: unknown[]; meta: { changes: number } }>;
}

/** What the store calls on a D1 binding (`env.DB`, a `D1Database`, or a session of one). */
export interface D1DatabaseLike {
  prepare(sql: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<unknown[]>;
}

/**
 * D1 answers a BLOB as an array of byte values; the store reads a Uint8Array. Other
 * columns are left as they are (a row that is not ours is then reported as such).
 */
function withBytes(row: Record<string, unknown>): Record<string, unknown> {
  return Array.isArray(row.data) ? { ...row, data: Uint8Array.from(row.data as number[]) } : row;
}

export function d1Connection(database: D1DatabaseLike): SqlConnection {
  // A statement is prepared once per SQL text and bound per call (bind returns a new
  // statement): the store has a dozen statements, and preparing costs a call each time.
  const prepared = new Map<string, D1StatementLike>();
  const prepare = (sql: string) => {
    let statement = prepared.get(sql);
    if (!statement) {
      statement = database.prepare(sql);
      prepared.set(sql, statement);
    }
    return statement;
  };
  return {
    dialect: sqliteDialect,
    remedy:
      'Is the D1 database bound to this Worker (d1_databases in its wrangler configuration) under the binding passed as `database`?',
    async run(sql, params): Promise<SqlResult> {
      // all() for every statement: it answers rows for a SELECT and meta.changes for a write.
      const { results, meta } = await prepare(sql).bind(...params).all();
      return { rows: (results as Record<string, unknown>[]).map(withBytes), affected: meta.changes };
    },
    async runBatch(statements) {
      // A batch is one transaction in one round trip; D1 runs one write at a time, so two
      // stores creating the table at once cannot race.
      await database.batch(statements.map((sql) => database.prepare(sql)));
    },
  };
}
