/**
 * The SQLite store's tests, once for every driver: the store contract, the HTTP scenarios
 * and the store's own behaviour (table, borrowed and owned files, sweeps), each on a real
 * database of the driver under test. sqlite.test.ts, node-sqlite.test.ts and
 * bun-sqlite.test.ts call this with their driver.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/stores/sqlite/open.js';
import { SqliteStore, type SqliteDatabase, type SqliteDriver } from '../../src/stores/sqlite/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describePlantedRecords } from '../conformance/planted-record-suite.js';
import { describeStore } from '../conformance/store-suite.js';

/** A statement as every driver runs it, for the tests' own SQL. */
interface RawStatement {
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): unknown;
}

export interface DriverUnderTest {
  driver: SqliteDriver;
  /** Opens a database of the driver itself, as an application would. */
  open: (path: string) => SqliteDatabase;
}

function statement(db: SqliteDatabase, sql: string): RawStatement {
  return db.prepare(sql);
}

/** Whether the driver's own handle on `db` is still usable. */
function isOpen(db: SqliteDatabase): boolean {
  try {
    statement(db, 'SELECT 1').all();
    return true;
  } catch {
    return false;
  }
}

/** What the SQLite store offers on every driver. */
export const SQLITE_CAPABILITIES = ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'getSync', 'createSync', 'setIfSync', 'keys', 'getExpired'] as const;

export function describeSqliteDriver({ driver, open }: DriverUnderTest): void {
  const dirs: string[] = [];
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sessionkit-sqlite-'));
    dirs.push(dir);
    return dir;
  }
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const paths = new WeakMap<object, string>();
  async function fixture() {
    const path = join(tempDir(), 'sessions.db');
    const store = new SqliteStore({ path, driver });
    paths.set(store, path);
    return { store, cleanup: () => store.close() };
  }

  const title = `sqlite (${driver})`;
  describeStore(title, fixture, SQLITE_CAPABILITIES, {
    // A row another program wrote through its own connection: SQLite's BLOB column takes TEXT too.
    plantForeignValue: async (key, store) => {
      const db = open(paths.get(store)!);
      try {
        statement(db, "INSERT INTO sessions (id, data, expires_at, version) VALUES (?, 'not bytes', ?, 1)").run(key, Date.now() + 60_000);
      } finally {
        db.close();
      }
    },
  });
  describeSessionsOverHttp(title, fixture);
  describePlantedRecords(title, fixture);

  describe(`SqliteStore on ${driver}`, () => {
    const record = (expiresAt = Date.now() + 60_000) => ({ data: new Uint8Array([1, 2, 3]), expiresAt });
    const count = (db: SqliteDatabase) => (statement(db, 'SELECT count(*) AS n FROM sessions').all()[0] as { n: number }).n;

    it(`recognises a ${driver} database it is given`, () => {
      const db = open(':memory:');
      expect(new SqliteStore({ database: db }).driver).toBe(driver);
      db.close();
    });

    it(`opens its own file with ${driver} when asked to`, async () => {
      const store = new SqliteStore({ path: join(tempDir(), 'sessions.db'), driver });
      expect(store.driver).toBe(driver);
      await store.close();
    });

    it('opens a file in WAL mode, synchronous = NORMAL and a 5 s busy timeout, the same on every driver', () => {
      const db = openSqlite(join(tempDir(), 'sessions.db'), driver);
      const pragma = (name: string) => Object.values(statement(db, `PRAGMA ${name}`).all()[0] as object)[0] as unknown;
      expect([pragma('journal_mode'), pragma('synchronous'), pragma('busy_timeout')]).toEqual(['wal', 1, 5000]);
      db.close();
    });

    it('creates the table and its expiry index on first use', async () => {
      const db = open(':memory:');
      const store = new SqliteStore({ database: db, table: 'web_sessions' });
      expect(statement(db, "SELECT name FROM sqlite_master WHERE name = 'web_sessions'").all()).toEqual([]);
      await store.set('k', record());
      const names = (statement(db, "SELECT name FROM sqlite_master WHERE tbl_name = 'web_sessions'").all() as { name: string }[]).map((r) => r.name);
      expect(names).toContain('web_sessions');
      expect(names).toContain('web_sessions_expires_at');
      db.close();
    });

    it('rejects a table name that is not a plain identifier', () => {
      expect(() => new SqliteStore({ path: ':memory:', driver, table: 'x; DROP TABLE y' })).toThrow(/plain SQL identifier/);
    });

    it('asks for a path or a database, and says which databases it takes', () => {
      expect(() => new SqliteStore({})).toThrow(/pass `path`/);
      // @ts-expect-error -- something else with prepare() and exec(), as from a mistaken import
      expect(() => new SqliteStore({ database: { prepare() {}, exec() {} } })).toThrow(/must be a better-sqlite3 Database, a node:sqlite DatabaseSync/);
    });

    it('leaves a borrowed database open on close()', async () => {
      const db = open(':memory:');
      const store = new SqliteStore({ database: db });
      await store.set('k', record());
      await store.close();
      expect(isOpen(db)).toBe(true);
      db.close();
    });

    it('opens its own file (creating the directory) and closes it', async () => {
      const path = join(tempDir(), 'nested', 'dir', 'sessions.db');
      const store = new SqliteStore({ path, driver });
      await store.set('k', record());
      expect(store.getSync!('k')).toBeDefined();
      expect(existsSync(path)).toBe(true);
      await store.close();
      await expect(store.get('k')).rejects.toThrow(/\[sessionkit:sqlite\]/);
      expect(() => store.getSync!('k')).toThrow(/\[sessionkit:sqlite\]/);
    });

    it('a session written before a restart is read after it (same file, new store)', async () => {
      const path = join(tempDir(), 'sessions.db');
      const first = new SqliteStore({ path, driver });
      await first.set('k', record());
      await first.close();
      const second = new SqliteStore({ path, driver });
      expect([...second.getSync!('k')!.data]).toEqual([1, 2, 3]);
      await second.close();
    });

    it('deleteExpired removes more than one batch', async () => {
      const db = open(':memory:');
      const store = new SqliteStore({ database: db, sweepEvery: 0 });
      expect(store.batchSize).toBe(1000);
      await store.set('live', record());
      const insert = statement(db, 'INSERT INTO sessions (id, data, expires_at, version) VALUES (?, ?, ?, 1)');
      db.exec('BEGIN');
      for (let i = 0; i < 1200; i++) insert.run(`dead${i}`, new Uint8Array([0]), Date.now() - 1000);
      db.exec('COMMIT');
      expect(await store.deleteExpired()).toBe(1200);
      expect(count(db)).toBe(1);
      db.close();
    });

    it('sweeps expired rows by itself every sweepEvery reads', async () => {
      const db = open(':memory:');
      const store = new SqliteStore({ database: db, sweepEvery: 3 });
      await store.set('dead', record(Date.now() - 1000));
      await store.set('live', record());
      await store.get('live');
      await store.get('live');
      expect(count(db)).toBe(2);
      await store.get('live'); // third read: a sweep starts on the next turn of the event loop
      await store.close(); // waits for it
      expect(statement(db, "SELECT id FROM sessions WHERE id = 'dead'").all()).toEqual([]);
      expect(count(db)).toBe(1);
      db.close();
    });

    it('refuses `driver` beside `database`, and a driver it does not know', () => {
      const db = open(':memory:');
      expect(() => new SqliteStore({ database: db, driver })).toThrow(/`driver` goes with `path`/);
      db.close();
      // @ts-expect-error -- a name from configuration that is not a driver
      expect(() => new SqliteStore({ path: ':memory:', driver: 'sqlite3' })).toThrow(/driver must be one of better-sqlite3, node:sqlite, bun:sqlite/);
    });
  });
}
