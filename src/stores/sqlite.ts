import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { SessionConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { loadOptional } from './shared/load-optional.js';
import { SqlStore } from './sql/index.js';

export interface SqliteStoreOptions {
  /** An open better-sqlite3 database of yours. Borrowed: `close()` leaves it open. */
  database?: BetterSqlite3.Database;
  /** Or a file name: the store opens it (WAL mode, parent directory created) and closes it in `close()`. */
  path?: string;
  /** Table name (SESSION_SQLITE_TABLE). Default 'sessions'; created on first use with an index on expiry. */
  table?: string;
  /** Delete expired rows in the background every this many reads; 0 disables. Default 1000. */
  sweepEvery?: number;
  /** Where a failed background sweep and a row that is not a session are reported. Default: console. */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Sessions in one SQLite file through better-sqlite3: survives restarts, shared safely
 * by several processes on one machine, no server to run. The demo's embedded default.
 *
 * It is the SQL store's SQLite dialect (one implementation of the SQL, see ./sql.ts) with
 * what an embedded default needs on top: it can open the file itself, and it cleans up
 * expired rows by itself. better-sqlite3 answers synchronously, so reads also skip a
 * promise turn (`getSync`).
 */
export class SqliteStore extends SqlStore {
  override readonly name = 'sqlite';
  readonly #ownedDatabase: BetterSqlite3.Database | undefined;

  constructor(options: SqliteStoreOptions = {}) {
    if (options.database && options.path) throw new SessionConfigError('sqliteStore: pass either `database` or `path`, not both.');
    if (!options.database && !options.path) {
      throw new SessionConfigError("sqliteStore: pass `path` (e.g. './data/sessions.db') or an open better-sqlite3 `database`.");
    }
    const database = options.database ?? openDatabase(options.path!);
    super({ client: database, table: options.table, sweepEveryNRequests: options.sweepEvery ?? 1000, logger: options.logger });
    this.#ownedDatabase = options.database ? undefined : database;
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.#ownedDatabase?.open) this.#ownedDatabase.close();
  }
}

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
