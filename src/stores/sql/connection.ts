/**
 * What the SQL store needs from a dialect and from a handle, so that `table-store.ts` holds
 * the session logic once and each file beside this one speaks one dialect or one kind of handle.
 */

export type DialectName = 'postgres' | 'mysql' | 'sqlite';

/** A validated table name and, optionally, the schema (PostgreSQL) or database (MySQL) holding it. */
export interface TableName {
  readonly table: string;
  readonly schema?: string | undefined;
}

/**
 * The statements of one dialect, written with named parameters (`:id`, `:now`, …) that
 * {@link compile} turns into the dialect's placeholders. Every statement touches one row
 * by primary key, except `deleteExpiredBatch`, which removes at most `batchSize` rows, and
 * `countExpired`, which counts the rows it would remove (as `expired`).
 */
export interface Statements {
  /** Selects `data, expires_at, version` of the live row. */
  readonly get: string;
  /** Selects the same of the row if it has expired (not swept yet): `Store.getExpired`. */
  readonly getExpired: string;
  /** Upsert of the whole row. */
  readonly set: string;
  /** Affects exactly one row when it inserted, or replaced an expired row; none when a live row exists. */
  readonly create: string;
  /**
   * Where `create` cannot replace an expired row in the same statement (MySQL: see
   * mysql.ts), the UPDATE run when `create` affected nothing; one row affected = created.
   */
  readonly replaceExpired?: string;
  readonly setIf: string;
  readonly touch: string;
  readonly delete: string;
  readonly deleteExpiredBatch: string;
  readonly countExpired: string;
  /** Selects `id` of at most `batchSize` live rows of a range of ids, in id order: see {@link keysPage}. */
  readonly keysPage: (page: KeysPage) => string;
}

/** Which page of a listing: the first one starts at the prefix, the next ones after the last id listed. */
export interface KeysPage {
  /** `id > :after`, where the first page has `id >= :prefix`. */
  readonly resume: boolean;
  /** `id < :end`: absent when the prefix has no successor (the empty prefix), every id to the end. */
  readonly bounded: boolean;
}

/**
 * A page of `keys(prefix)` on `table` (quoted by the dialect): the ids in [prefix, end), the
 * end being the prefix's successor (see ./prefix-end.ts). A range on
 * the primary key, not LIKE: its index serves the range, and a prefix holding `%` or `_`
 * needs no escaping. Keyset pagination (`id > :after … ORDER BY id LIMIT`): each page starts
 * where the last ended, so a big table is never read at once nor scanned from its start.
 */
export function keysPage(table: string, batchSize: number, { resume, bounded }: KeysPage): string {
  const start = resume ? 'id > :after' : 'id >= :prefix';
  const end = bounded ? ' AND id < :end' : '';
  return `SELECT id FROM ${table} WHERE ${start}${end} AND expires_at > :now ORDER BY id LIMIT ${batchSize}`;
}

export interface Dialect {
  readonly name: DialectName;
  /** For messages: 'PostgreSQL', 'MySQL/MariaDB', 'SQLite'. */
  readonly label: string;
  readonly placeholders: 'dollar' | 'question';
  /** CREATE TABLE … IF NOT EXISTS and its index on expiry, one statement per entry. */
  ddl(name: TableName): string[];
  statements(name: TableName, batchSize: number): Statements;
  /**
   * True for the error a CREATE … IF NOT EXISTS can still raise when another process
   * creates the same object at the same moment; running the statement again then finds it.
   */
  isCreateRace(error: unknown): boolean;
}

export interface SqlResult {
  readonly rows: readonly Record<string, unknown>[];
  /** Rows inserted, updated or deleted (0 for a SELECT). */
  readonly affected: number;
}

/** One handle of the user's, seen through its dialect. */
export interface SqlConnection {
  readonly dialect: Dialect;
  /** What to check when an operation fails: 'Is the PostgreSQL server at 127.0.0.1:5432 up and reachable?' */
  readonly remedy: string;
  run(sql: string, params: readonly unknown[]): Promise<SqlResult>;
  /** The same, synchronously, where the driver itself is synchronous (better-sqlite3, a Durable Object's SQLite). */
  runSync?(sql: string, params: readonly unknown[]): SqlResult;
  /**
   * Runs parameterless statements as one transaction in one round trip, where the driver
   * has such a call (D1's batch): the table's DDL then costs one round trip, not two.
   */
  runBatch?(statements: readonly string[]): Promise<void>;
}

export interface CompiledStatement {
  readonly sql: string;
  /** The named parameter behind each placeholder, in order. */
  readonly names: readonly string[];
}

/** `:name` parameters → `$1, $2` (a name used twice keeps its number) or `?` (repeated in order). */
export function compile(sql: string, placeholders: Dialect['placeholders']): CompiledStatement {
  const names: string[] = [];
  const text = sql.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    if (placeholders === 'question') {
      names.push(name);
      return '?';
    }
    let index = names.indexOf(name);
    if (index < 0) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return { sql: text, names };
}

/** Double-quoted identifier (PostgreSQL, SQLite); names are validated, so no escaping is needed. */
export function doubleQuoted({ table, schema }: TableName, name = table): string {
  return schema ? `"${schema}"."${name}"` : `"${name}"`;
}

/** The index on expiry is named after its table; the same name the sqlite store uses. */
export function expiryIndexName(table: string): string {
  return `${table}_expires_at`;
}

/** `host:port` from the usual connection settings, or undefined when nothing says. */
export function hostPort(host: unknown, port: unknown, fallbackPort: number): string | undefined {
  if (typeof host !== 'string' || host === '') return undefined;
  return `${host}:${typeof port === 'number' || typeof port === 'string' ? port : fallbackPort}`;
}
