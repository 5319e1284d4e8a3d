import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/stores/sqlite.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';

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
  const store = new SqliteStore({ path });
  paths.set(store, path);
  return { store, cleanup: () => store.close() };
}

describeStore('sqlite', fixture, ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'getSync'], {
  // A row another program wrote through its own connection: SQLite's BLOB column takes TEXT too.
  plantForeignValue: async (key, store) => {
    const db = new Database(paths.get(store));
    try {
      db.prepare("INSERT INTO sessions (id, data, expires_at, version) VALUES (?, 'not bytes', ?, 1)").run(key, Date.now() + 60_000);
    } finally {
      db.close();
    }
  },
});
describeSessionsOverHttp('sqlite', fixture);

describe('SqliteStore', () => {
  const record = (expiresAt = Date.now() + 60_000) => ({ data: new Uint8Array([1, 2, 3]), expiresAt });

  it('creates the table and its expiry index on first use', async () => {
    const db = new Database(':memory:');
    const store = new SqliteStore({ database: db, table: 'web_sessions' });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'web_sessions'").get()).toBeUndefined();
    await store.set('k', record());
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'web_sessions'").all() as { name: string }[]).map((r) => r.name);
    expect(names).toContain('web_sessions');
    expect(names).toContain('web_sessions_expires_at');
    db.close();
  });

  it('rejects a table name that is not a plain identifier', () => {
    expect(() => new SqliteStore({ path: ':memory:', table: 'x; DROP TABLE y' })).toThrow(/plain SQL identifier/);
  });

  it('asks for a path or a database', () => {
    expect(() => new SqliteStore({})).toThrow(/pass `path`/);
  });

  it('leaves a borrowed database open on close()', async () => {
    const db = new Database(':memory:');
    const store = new SqliteStore({ database: db });
    await store.set('k', record());
    await store.close();
    expect(db.open).toBe(true);
    db.close();
  });

  it('opens its own file (creating the directory) and closes it', async () => {
    const path = join(tempDir(), 'nested', 'dir', 'sessions.db');
    const store = new SqliteStore({ path });
    await store.set('k', record());
    expect(existsSync(path)).toBe(true);
    await store.close();
    await expect(store.get('k')).rejects.toThrow(/\[sessionkit:sqlite\]/);
  });

  it('deleteExpired removes more than one batch', async () => {
    const db = new Database(':memory:');
    const store = new SqliteStore({ database: db, sweepEvery: 0 });
    expect(store.batchSize).toBe(1000);
    await store.set('live', record());
    const insert = db.prepare('INSERT INTO sessions (id, data, expires_at, version) VALUES (?, ?, ?, 1)');
    db.transaction(() => {
      for (let i = 0; i < 1200; i++) insert.run(`dead${i}`, Buffer.from([0]), Date.now() - 1000);
    })();
    expect(await store.deleteExpired()).toBe(1200);
    expect((db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n).toBe(1);
    db.close();
  });

  it('sweeps expired rows by itself every sweepEvery reads', async () => {
    const db = new Database(':memory:');
    const store = new SqliteStore({ database: db, sweepEvery: 3 });
    await store.set('dead', record(Date.now() - 1000));
    await store.set('live', record());
    const count = () => (db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
    await store.get('live');
    await store.get('live');
    expect(count()).toBe(2);
    await store.get('live'); // third read: a sweep starts on the next turn of the event loop
    await store.close(); // waits for it
    expect(db.prepare("SELECT id FROM sessions WHERE id = 'dead'").get()).toBeUndefined();
    expect(count()).toBe(1);
    db.close();
  });
});
