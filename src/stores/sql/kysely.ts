/**
 * A Kysely instance as the handle: its dialect is read from the adapter it was built with,
 * and the store's SQL runs through it as raw compiled queries, on Kysely's own driver and pool.
 */
import { SessionConfigError } from '../../core/errors.js';
import { loadOptional } from '../shared/load-optional.js';
import type { Dialect, DialectName, SqlConnection } from './connection.js';
import { mysqlDialect, mysqlParams } from './dialects/mysql.js';
import { postgresDialect } from './dialects/postgres.js';
import { sqliteDialect } from './dialects/sqlite.js';

/** What the store uses of a Kysely instance. */
export interface KyselyLike {
  getExecutor(): { readonly adapter: object };
  executeQuery(query: never): Promise<{ rows: unknown[]; numAffectedRows?: bigint }>;
  withoutPlugins?(): KyselyLike;
}

interface KyselyModule {
  CompiledQuery: { raw(sql: string, parameters: unknown[]): never };
}

const DIALECTS: Record<DialectName, Dialect> = { postgres: postgresDialect, mysql: mysqlDialect, sqlite: sqliteDialect };

/** Kysely's built-in adapters, and those of third-party dialects that extend them. */
const ADAPTERS: Record<string, DialectName> = {
  PostgresAdapter: 'postgres',
  MysqlAdapter: 'mysql',
  SqliteAdapter: 'sqlite',
};

export function isKyselyHandle(handle: object): handle is KyselyLike {
  const h = handle as Record<string, unknown>;
  return typeof h.getExecutor === 'function' && typeof h.executeQuery === 'function';
}

/**
 * `dialect` overrides the detection, for an adapter that neither is nor extends one of
 * Kysely's own (or whose class names a minifier changed).
 */
export function kyselyConnection(db: KyselyLike, storeName: string, dialect?: DialectName): SqlConnection {
  const name = dialect ?? detect(db);
  // Kysely is installed (the user built `db` with it); only its CompiledQuery.raw is needed.
  const { CompiledQuery } = loadOptional<KyselyModule>('kysely', storeName);
  // A plugin such as CamelCasePlugin would rename the columns the store reads.
  const plain = db.withoutPlugins?.() ?? db;
  // Kysely hands the parameters to its driver as they are: mysql2's need Buffers for bytes.
  const driverParams = name === 'mysql' ? mysqlParams : (params: readonly unknown[]) => params as unknown[];
  return {
    dialect: DIALECTS[name],
    remedy: `Is the ${DIALECTS[name].label} database behind the Kysely instance up and reachable?`,
    async run(sql, params) {
      const result = await plain.executeQuery(CompiledQuery.raw(sql, driverParams(params)));
      return { rows: result.rows as Record<string, unknown>[], affected: Number(result.numAffectedRows ?? 0) };
    },
  };
}

function detect(db: KyselyLike): DialectName {
  const adapter = db.getExecutor().adapter;
  for (let proto: unknown = Object.getPrototypeOf(adapter); proto; proto = Object.getPrototypeOf(proto)) {
    const found = ADAPTERS[(proto as { constructor?: { name?: string } }).constructor?.name ?? ''];
    if (found) return found;
  }
  throw new SessionConfigError(
    `sqlStore: cannot tell the SQL dialect of this Kysely instance (adapter ${adapter.constructor.name}). ` +
      "Pass `dialect: 'postgres' | 'mysql' | 'sqlite'`.",
  );
}
