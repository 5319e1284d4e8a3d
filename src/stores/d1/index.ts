/**
 * Sessions in Cloudflare D1, from a Worker: the SQL store's SQLite dialect over the D1
 * binding, with the same guarantees as every SQL store (insert-if-absent, compare-and-set
 * on a version, touch, batched deletion of expired rows).
 *
 *   export default {
 *     fetch(request, env) {
 *       store ??= d1Store({ database: env.DB });
 *       …
 *     },
 *   };
 *
 * Every operation is one prepared statement, one round trip to the database: a read is one
 * SELECT, a write one INSERT … ON CONFLICT or one UPDATE … WHERE version (see
 * ../sql/index.ts). The table and its index are created on first use in one batch (one
 * transaction), or by your migration with `createTable: false` and `d1Store.ddl()`.
 *
 * Consistency: a D1 binding used directly sends every query to the primary database, so a
 * read sees every earlier write; a session of the Sessions API (`env.DB.withSession()`),
 * which may read from a replica, is not what a session store should be given.
 *
 * Expired rows are never read; delete them from a Cron Trigger with `deleteExpired()`
 * (`sweepEveryNRequests` would run after the response, which a Worker may not wait for).
 *
 * Its import graph holds no `node:` module and no Buffer: it runs in workerd without the
 * `nodejs_compat` flag.
 */
import { SqlTableStore } from '../sql/table-store.js';
import { sqliteDialect } from '../sql/dialects/sqlite.js';
import { ddlText, tableName, type SqlTableOptions } from '../sql/settings.js';
import { SessionConfigError } from '../../core/errors.js';
import { d1Connection, type D1DatabaseLike, type D1StatementLike } from './connection.js';

export type { D1DatabaseLike, D1StatementLike };

export interface D1StoreOptions extends Omit<SqlTableOptions, 'schema'> {
  /** The D1 binding (`env.DB`). Borrowed: there is nothing to close. */
  database: D1DatabaseLike;
}

export class D1Store extends SqlTableStore {
  override readonly name = 'd1';

  constructor(options: D1StoreOptions) {
    const database = options.database as Partial<D1DatabaseLike> | undefined;
    if (typeof database?.prepare !== 'function' || typeof database.batch !== 'function') {
      throw new SessionConfigError('d1Store: `database` must be a D1 binding (env.DB, as named in d1_databases of your wrangler configuration).');
    }
    // D1 has no ATTACH: the table lives in the bound database itself.
    super(d1Connection(options.database), { ...options, schema: undefined }, 'd1Store');
  }
}

/** A store over a D1 binding; see the module comment. `d1Store.ddl()` prints the table's DDL. */
export function d1Store(options: D1StoreOptions): D1Store {
  return new D1Store(options);
}

/**
 * The CREATE TABLE and CREATE INDEX statements the store runs on first use, as SQL text,
 * for a D1 migration of your own (`wrangler d1 migrations create`) with `createTable: false`.
 */
d1Store.ddl = function ddl(options: { table?: string } = {}): string {
  return ddlText(sqliteDialect, tableName('d1Store', options.table));
};
