import type { Logger } from '../../core/logger.js';
import { SessionConfigError } from '../../core/errors.js';
import { adapt, driverOf, type AdaptedDatabase, type SqliteDatabase, type SqliteDriver } from './drivers.js';
import { defaultDriver, openSqlite } from './open.js';
import { SqlStore } from '../sql/index.js';

export type { BetterSqlite3Database, BunSqliteDatabase, NodeSqliteDatabase, SqliteDatabase, SqliteDriver } from './drivers.js';

export interface SqliteStoreOptions {
  /**
   * An open database of yours: a better-sqlite3 Database, a node:sqlite DatabaseSync
   * (Node 22.16+) or a bun:sqlite Database. Borrowed: `close()` leaves it open.
   */
  database?: SqliteDatabase;
  /** Or a file name: the store opens it (WAL mode, parent directory created) and closes it in `close()`. */
  path?: string;
  /**
   * With `path`: the driver that opens it. Default: bun:sqlite under Bun, else
   * better-sqlite3 when it is installed, else node:sqlite (Node 22.16 or later).
   */
  driver?: SqliteDriver;
  /** Table name (SESSION_SQLITE_TABLE). Default 'sessions'; created on first use with an index on expiry. */
  table?: string;
  /** Delete expired rows in the background every this many reads; 0 disables. Default 1000. */
  sweepEvery?: number;
  /** Where a failed background sweep and a row that is not a session are reported. Default: console. */
  logger?: Pick<Logger, 'warn'>;
}

const DRIVERS: readonly SqliteDriver[] = ['better-sqlite3', 'node:sqlite', 'bun:sqlite'];

/**
 * Sessions in one SQLite file: survives restarts, shared safely by several processes on
 * one machine, no server to run. The demo's embedded default. It runs on any of three
 * synchronous drivers (./drivers.ts): better-sqlite3, Node's built-in node:sqlite
 * and Bun's bun:sqlite, so on Node 22.16+ and on Bun it needs no native build.
 *
 * It is the SQL store's SQLite dialect (one implementation of the SQL, see ../sql/) with
 * what an embedded default needs on top: it can open the file itself, and it cleans up
 * expired rows by itself. Every driver answers synchronously, so reads also skip a promise
 * turn (`getSync`), and so do writes (`createSync`, `setIfSync`).
 */
export class SqliteStore extends SqlStore {
  override readonly name = 'sqlite';
  /** The driver under the store, detected from `database` or chosen for `path`. */
  readonly driver: SqliteDriver;
  readonly #owned: AdaptedDatabase | undefined;

  constructor(options: SqliteStoreOptions = {}) {
    const { database, path, driver } = options;
    if (database && path) throw new SessionConfigError('sqliteStore: pass either `database` or `path`, not both.');
    if (!database && !path) {
      throw new SessionConfigError(
        "sqliteStore: pass `path` (e.g. './data/sessions.db') or an open `database` (better-sqlite3, node:sqlite or bun:sqlite).",
      );
    }
    if (driver !== undefined && !DRIVERS.includes(driver)) {
      throw new SessionConfigError(`sqliteStore: driver must be one of ${DRIVERS.join(', ')}, got ${JSON.stringify(driver)}.`);
    }
    if (database && driver) throw new SessionConfigError('sqliteStore: `driver` goes with `path`; a `database` is recognised by itself.');
    const used = database ? driverOf(database) : (driver ?? defaultDriver());
    if (!used) {
      throw new SessionConfigError(
        'sqliteStore: `database` must be a better-sqlite3 Database, a node:sqlite DatabaseSync (Node 22.16 or later) or a bun:sqlite Database.',
      );
    }
    const adapted = adapt(database ?? openSqlite(path!, used), used);
    super({ client: adapted.handle, table: options.table, sweepEveryNRequests: options.sweepEvery ?? 1000, logger: options.logger });
    this.driver = used;
    this.#owned = database ? undefined : adapted;
  }

  override async close(): Promise<void> {
    await super.close();
    this.#owned?.close();
  }
}

export function sqliteStore(options?: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
