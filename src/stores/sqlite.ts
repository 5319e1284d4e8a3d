import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { wrapStoreError, type Store, type StoreRecord } from '../store.js';
import { loadOptional } from './shared.js';

export interface SqliteStoreOptions {
  /** An open better-sqlite3 database of yours. Borrowed: `close()` leaves it open. */
  database?: BetterSqlite3.Database;
  /** Or a file name: the store opens it (WAL mode, parent directory created) and closes it in `close()`. */
  path?: string;
  /** Table name (SESSION_SQLITE_TABLE). Default 'sessions'; created on first use with an index on expiry. */
  table?: string;
  /** Delete expired rows after this many writes; 0 disables. Default 1000. */
  sweepEvery?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SWEEP_BATCH = 500;

interface Row {
  data: Buffer;
  expires_at: number;
  version: number;
}

/**
 * Sessions in SQLite through better-sqlite3: one file, shared safely by several
 * processes on one machine, survives restarts. The demo's embedded default.
 *
 * better-sqlite3 is synchronous; each operation is one prepared statement on a local
 * file (microseconds), so it does not need a thread pool. Compare-and-set is an
 * `UPDATE … WHERE version = ?`, atomic across processes.
 */
export class SqliteStore implements Store {
  readonly name = 'sqlite';
  readonly table: string;
  readonly #db: BetterSqlite3.Database;
  readonly #ownsDatabase: boolean;
  readonly #sweepEvery: number;
  #writesSinceSweep = 0;
  #statements: Statements | undefined;

  constructor(options: SqliteStoreOptions = {}) {
    const table = options.table ?? 'sessions';
    if (!IDENTIFIER.test(table)) {
      throw new TypeError(`sqliteStore: table "${table}" is not a plain SQL identifier (letters, digits, _; not starting with a digit).`);
    }
    const sweepEvery = options.sweepEvery ?? 1000;
    if (!Number.isInteger(sweepEvery) || sweepEvery < 0) {
      throw new TypeError(`sqliteStore: sweepEvery must be a non-negative integer, got ${String(options.sweepEvery)}.`);
    }
    if (options.database && options.path) throw new TypeError('sqliteStore: pass either `database` or `path`, not both.');
    if (!options.database && !options.path) {
      throw new TypeError("sqliteStore: pass `path` (e.g. './data/sessions.db') or an open better-sqlite3 `database`.");
    }
    this.table = table;
    this.#sweepEvery = sweepEvery;
    this.#ownsDatabase = !options.database;
    this.#db = options.database ?? openDatabase(options.path!);
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    return this.getSync(key);
  }

  getSync(key: string): StoreRecord | undefined {
    const row = this.#run('read', (s) => s.get.get(key, Date.now()) as Row | undefined);
    return row && { data: new Uint8Array(row.data), expiresAt: row.expires_at, version: String(row.version) };
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const row = this.#write('write', (s) => s.upsert.get(key, record.data, record.expiresAt) as { version: number });
    return String(row.version);
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    return this.#write('create', (s) => s.create.run(key, record.data, record.expiresAt, Date.now()).changes === 1);
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    const version = Number(expectedVersion);
    if (!Number.isSafeInteger(version)) return false;
    return this.#write('write', (s) => s.setIf.run(record.data, record.expiresAt, key, version, Date.now()).changes === 1);
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    this.#run('touch', (s) => s.touch.run(expiresAt, key, Date.now()));
  }

  async delete(key: string): Promise<void> {
    this.#run('delete', (s) => s.delete.run(key));
  }

  /** Deletes expired rows in batches of 500 so no single statement holds the write lock long. */
  async deleteExpired(): Promise<number> {
    return this.#run('sweep', (s) => {
      let total = 0;
      for (;;) {
        const removed = s.sweep.run(Date.now(), SWEEP_BATCH).changes;
        total += removed;
        if (removed < SWEEP_BATCH) return total;
      }
    });
  }

  async close(): Promise<void> {
    if (this.#ownsDatabase && this.#db.open) this.#db.close();
  }

  #run<R>(action: string, operation: (statements: Statements) => R): R {
    try {
      this.#statements ??= prepareStatements(this.#db, this.table);
      return operation(this.#statements);
    } catch (error) {
      throw wrapStoreError(this.name, action, `Check that the database file is writable and table "${this.table}" has the sessionkit layout.`, error);
    }
  }

  /** A write, counted towards the periodic sweep of expired rows. */
  #write<R>(action: string, operation: (statements: Statements) => R): R {
    const result = this.#run(action, operation);
    if (this.#sweepEvery > 0 && ++this.#writesSinceSweep >= this.#sweepEvery) {
      this.#writesSinceSweep = 0;
      void this.deleteExpired().catch(() => {
        // A failed sweep is retried after the next batch of writes; the write itself succeeded.
      });
    }
    return result;
  }
}

/** Creates the table if needed and prepares every statement once. */
function prepareStatements(db: BetterSqlite3.Database, table: string) {
  const t = `"${table}"`;
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${t} (id TEXT PRIMARY KEY, data BLOB NOT NULL, expires_at INTEGER NOT NULL, version INTEGER NOT NULL);
     CREATE INDEX IF NOT EXISTS "${table}_expires_at" ON ${t} (expires_at);`,
  );
  return {
    get: db.prepare(`SELECT data, expires_at, version FROM ${t} WHERE id = ? AND expires_at > ?`),
    upsert: db.prepare(
      `INSERT INTO ${t} (id, data, expires_at, version) VALUES (?, ?, ?, 1)
       ON CONFLICT(id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, version = ${t}.version + 1
       RETURNING version`,
    ),
    // Inserts, or replaces a row only if it has expired: never a live session.
    create: db.prepare(
      `INSERT INTO ${t} (id, data, expires_at, version) VALUES (?, ?, ?, 1)
       ON CONFLICT(id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, version = ${t}.version + 1
       WHERE ${t}.expires_at <= ?`,
    ),
    setIf: db.prepare(
      `UPDATE ${t} SET data = ?, expires_at = ?, version = version + 1 WHERE id = ? AND version = ? AND expires_at > ?`,
    ),
    touch: db.prepare(`UPDATE ${t} SET expires_at = ? WHERE id = ? AND expires_at > ?`),
    delete: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
    sweep: db.prepare(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE expires_at <= ? LIMIT ?)`),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function openDatabase(path: string): BetterSqlite3.Database {
  const Database = loadOptional<typeof BetterSqlite3>('better-sqlite3', 'sqlite');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // Another process holding the write lock makes us wait up to 5 s instead of failing at once.
  db.pragma('busy_timeout = 5000');
  return db;
}

export function sqliteStore(options?: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
