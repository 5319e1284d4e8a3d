/**
 * The three synchronous SQLite drivers the store runs on — better-sqlite3, Node's
 * node:sqlite and Bun's bun:sqlite — typed by what the store calls of them, told apart by
 * their shape, and presented to the SQL store in the one shape it runs: better-sqlite3's.
 * Nothing here imports a driver: the application's database, or the one ./open.ts made,
 * comes in as a value.
 */
import { SessionConfigError } from '../../core/errors.js';

/** A prepared statement the way the SQL store runs it (better-sqlite3's Statement). */
export interface SqlStoreStatement {
  /** True when the statement returns rows: the store reads them with all(), else counts changes with run(). */
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}

/** The database the SQL store's SQLite dialect takes as its client. */
export interface SqlStoreDatabase {
  prepare(sql: string): SqlStoreStatement;
  exec(sql: string): unknown;
  /** The file, for error messages. */
  readonly name: string;
  readonly inTransaction: boolean;
}

/** What the store uses of a better-sqlite3 Database (its own shape, plus `pragma` and `open` that tell it apart). */
export interface BetterSqlite3Database extends SqlStoreDatabase {
  pragma(source: string): unknown;
  readonly open: boolean;
  close(): unknown;
}

/** What the store uses of a node:sqlite DatabaseSync (Node 22.16 or later: StatementSync#columns). */
export interface NodeSqliteDatabase {
  prepare(sql: string): {
    columns(): readonly unknown[];
    all(...params: unknown[]): unknown[];
    run(...params: unknown[]): { changes: number | bigint };
  };
  exec(sql: string): void;
  /** The file, or null for an in-memory database. */
  location(): string | null;
  /** Only DatabaseSync has an open() method and an isOpen flag. */
  open(): void;
  readonly isOpen: boolean;
  readonly isTransaction: boolean;
  close(): void;
}

/** What the store uses of a bun:sqlite Database. */
export interface BunSqliteDatabase {
  prepare(sql: string): {
    readonly columnNames: readonly string[];
    all(...params: unknown[]): unknown[];
    run(...params: unknown[]): { changes: number };
    finalize(): void;
  };
  exec(sql: string): unknown;
  /** Only bun:sqlite has query() (a cached prepare) and `filename`. */
  query(sql: string): unknown;
  readonly filename: string;
  readonly inTransaction: boolean;
  close(): void;
}

export type SqliteDatabase = BetterSqlite3Database | NodeSqliteDatabase | BunSqliteDatabase;
export type SqliteDriver = 'better-sqlite3' | 'node:sqlite' | 'bun:sqlite';

/** Which driver `db` comes from, by the members only that driver has; undefined for anything else. */
export function driverOf(db: unknown): SqliteDriver | undefined {
  if (typeof db !== 'object' || db === null) return undefined;
  const d = db as Record<string, unknown>;
  if (typeof d.prepare !== 'function' || typeof d.exec !== 'function') return undefined;
  if (typeof d.pragma === 'function' && typeof d.open === 'boolean') return 'better-sqlite3';
  if (typeof d.query === 'function' && typeof d.filename === 'string') return 'bun:sqlite';
  if (typeof d.open === 'function' && typeof d.isOpen === 'boolean') return 'node:sqlite';
  return undefined;
}

/** A database of one of the drivers, in the SQL store's shape, and how to close it when the store owns it. */
export interface AdaptedDatabase {
  readonly handle: SqlStoreDatabase;
  /** Closes the database (once); for a database the store opened itself. */
  close(): void;
}

export function adapt(db: SqliteDatabase, driver: SqliteDriver): AdaptedDatabase {
  switch (driver) {
    case 'better-sqlite3':
      return adaptBetterSqlite3(db as BetterSqlite3Database);
    case 'node:sqlite':
      return adaptNodeSqlite(db as NodeSqliteDatabase);
    case 'bun:sqlite':
      return adaptBunSqlite(db as BunSqliteDatabase);
  }
}

function adaptBetterSqlite3(db: BetterSqlite3Database): AdaptedDatabase {
  return {
    handle: db,
    close: () => {
      if (db.open) db.close();
    },
  };
}

function adaptNodeSqlite(db: NodeSqliteDatabase): AdaptedDatabase {
  if (typeof db.prepare('SELECT 1').columns !== 'function') {
    throw new SessionConfigError('sqliteStore: this node:sqlite lacks StatementSync#columns(); use Node 22.16 or later, or better-sqlite3.');
  }
  return {
    handle: {
      prepare(sql) {
        const statement = db.prepare(sql);
        return {
          reader: statement.columns().length > 0,
          all: (...params) => statement.all(...params),
          // A bigint only with readBigInts; one row's changes fit a number either way.
          run: (...params) => ({ changes: Number(statement.run(...params).changes) }),
        };
      },
      exec: (sql) => db.exec(sql),
      name: db.location() ?? ':memory:',
      get inTransaction() {
        return db.isTransaction;
      },
    },
    close: () => {
      if (db.isOpen) db.close();
    },
  };
}

function adaptBunSqlite(db: BunSqliteDatabase): AdaptedDatabase {
  // bun:sqlite's close() leaves a database with live statements open until they are
  // finalized, so the store's cached statements would go on working after close():
  // closing finalizes them first, and a store used after close() fails as on the others.
  const statements: { finalize(): void }[] = [];
  let open = true;
  return {
    handle: {
      prepare(sql) {
        const statement = db.prepare(sql);
        statements.push(statement);
        return {
          reader: statement.columnNames.length > 0,
          all: (...params) => statement.all(...params),
          run: (...params) => statement.run(...params),
        };
      },
      exec: (sql) => db.exec(sql),
      name: db.filename,
      get inTransaction() {
        return db.inTransaction;
      },
    },
    close: () => {
      if (!open) return;
      open = false;
      for (const statement of statements) statement.finalize();
      db.close();
    },
  };
}
