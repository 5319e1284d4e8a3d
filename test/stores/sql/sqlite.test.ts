/**
 * The SQL store on SQLite files, through a better-sqlite3 Database and Kysely's SqliteDialect.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CamelCasePlugin, Kysely, SqliteAdapter, SqliteDialect, type DialectAdapter } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/stores/sqlite/index.js';
import { sqlStore } from '../../../src/stores/sql/index.js';
import { describeSqlConformance, record, sqlStoreBehaviour, text, unique, type Handle } from './shared.js';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-sql-sqlite-'));
const file = join(dir, 'sessions.db');
const attached = join(dir, 'app.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A connection to the test file, with `app.db` attached as schema "app". */
function openDatabase(): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`ATTACH DATABASE '${attached}' AS app`);
  return db;
}

const database = async (): Promise<Handle> => {
  const db = openDatabase();
  return { client: db, close: async () => void db.close() };
};
const kysely = async (): Promise<Handle> => {
  const db = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database: openDatabase() }) });
  return { client: db, close: () => db.destroy() };
};

const admin = openDatabase();
afterAll(() => admin.close());
async function exec(sql: string): Promise<string> {
  if (/^\s*select/i.test(sql)) return String(admin.prepare(sql).pluck().get());
  admin.exec(sql);
  return '';
}

// better-sqlite3 answers synchronously: the store reads without a promise too.
describeSqlConformance('sql:sqlite on a better-sqlite3 Database', database, exec, ['getSync', 'createSync', 'setIfSync']);
describeSqlConformance('sql:sqlite on Kysely (SqliteDialect)', kysely, exec);

describe('sql store on SQLite', () => {
  describe('on a better-sqlite3 Database', () => {
    sqlStoreBehaviour(() => ({ dialect: 'sqlite', label: 'better-sqlite3', open: database, exec, schema: 'app' }));
  });

  describe('on Kysely', () => {
    sqlStoreBehaviour(() => ({ dialect: 'sqlite', label: 'Kysely', open: kysely, exec, schema: 'app' }));
  });

  it('starts the background sweep after the read that triggers it has been answered', async () => {
    const table = unique('sweep_later');
    const store = sqlStore({ client: admin, table, sweepEveryNRequests: 1 });
    await store.set('dead', record('d', Date.now() - 1000));
    await store.get('anything');
    // better-sqlite3 is synchronous: a sweep run inside get() would already be done here.
    expect(await exec(`SELECT COUNT(*) FROM ${table}`)).toBe('1');
    await store.close(); // waits for the sweep
    expect(await exec(`SELECT COUNT(*) FROM ${table}`)).toBe('0');
  });

  it('logs a failed background sweep and still answers the read', async () => {
    const table = unique('sweep_fails');
    const warnings: string[] = [];
    const store = sqlStore({ client: admin, table, sweepEveryNRequests: 1, logger: { warn: (m) => warnings.push(m) } });
    await store.set('live', record('l'));
    admin.exec(`CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, 'deletes refused'); END`);
    await store.set('dead', record('d', Date.now() - 1000));
    expect(text(await store.get('live'))).toBe('l');
    await store.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/sql:sqlite.*deletes refused/);
  });

  it("opens the sqlite store's table and the sqlite store opens its own", async () => {
    const table = unique('shared_layout');
    const db = openDatabase();
    try {
      const theirs = new SqliteStore({ database: db, table, sweepEvery: 0 });
      const ours = sqlStore({ client: db, table });
      await theirs.set('a', record('from sqliteStore'));
      expect(text(await ours.get('a'))).toBe('from sqliteStore');
      const version = (await ours.get('a'))!.version!;
      expect(await ours.setIf('a', record('from sqlStore'), version)).toBe(true);
      expect(text(await theirs.get('a'))).toBe('from sqlStore');
      const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`).pluck().all(table);
      expect(indexes).toContain(`${table}_expires_at`);
      expect(indexes.filter((name) => !String(name).startsWith('sqlite_autoindex'))).toHaveLength(1);
    } finally {
      db.close();
    }
  });

  it('works on a Database that returns BigInt integers (defaultSafeIntegers)', async () => {
    const db = openDatabase();
    db.defaultSafeIntegers(true);
    try {
      const store = sqlStore({ client: db, table: 'conformance' });
      const key = unique('bigint');
      const expiresAt = Date.now() + 60_000;
      expect(await store.create(key, record('one', expiresAt))).toBe(true);
      const read = await store.get(key);
      expect(read?.expiresAt).toBe(expiresAt);
      expect(await store.setIf(key, record('two'), read!.version!)).toBe(true);
      expect(text(await store.get(key))).toBe('two');
    } finally {
      db.close();
    }
  });

  describe('Kysely dialect detection', () => {
    /** A Kysely whose dialect is SQLite's but whose adapter is `adapter`. */
    function kyselyWithAdapter(adapter: DialectAdapter) {
      const base = new SqliteDialect({ database: openDatabase() });
      return new Kysely<Record<string, never>>({
        dialect: {
          createAdapter: () => adapter,
          createDriver: () => base.createDriver(),
          createQueryCompiler: () => base.createQueryCompiler(),
          createIntrospector: (db) => base.createIntrospector(db),
        },
      });
    }

    it("recognises an adapter that extends one of Kysely's", async () => {
      const db = kyselyWithAdapter(new (class ThirdPartyAdapter extends SqliteAdapter {})());
      try {
        const store = sqlStore({ client: db, table: 'conformance' });
        expect(store.dialect).toBe('sqlite');
        const key = unique('subclass');
        await store.set(key, record('v'));
        expect(text(await store.get(key))).toBe('v');
      } finally {
        await db.destroy();
      }
    });

    it('asks for `dialect` when the adapter is unknown, and uses it', async () => {
      // SQLite's behaviour in a plain object: no adapter class sessionkit knows.
      const sqlite = new SqliteAdapter();
      const unknown: DialectAdapter = {
        supportsCreateIfNotExists: sqlite.supportsCreateIfNotExists,
        supportsTransactionalDdl: sqlite.supportsTransactionalDdl,
        supportsReturning: sqlite.supportsReturning,
        acquireMigrationLock: (db, options) => sqlite.acquireMigrationLock(db, options),
        releaseMigrationLock: (db, options) => sqlite.releaseMigrationLock(db, options),
      };
      const db = kyselyWithAdapter(unknown);
      try {
        expect(() => sqlStore({ client: db })).toThrow(/cannot tell the SQL dialect.*Pass `dialect/);
        const store = sqlStore({ client: db, table: 'conformance', dialect: 'sqlite' });
        const key = unique('override');
        await store.set(key, record('v'));
        expect(text(await store.get(key))).toBe('v');
      } finally {
        await db.destroy();
      }
    });

    it('reads its columns as they are named, whatever plugins the instance has', async () => {
      const db = new Kysely<Record<string, never>>({
        dialect: new SqliteDialect({ database: openDatabase() }),
        plugins: [new CamelCasePlugin()],
      });
      try {
        const store = sqlStore({ client: db, table: 'conformance' });
        const key = unique('camel');
        const expiresAt = Date.now() + 60_000;
        await store.set(key, record('v', expiresAt));
        expect((await store.get(key))?.expiresAt).toBe(expiresAt);
      } finally {
        await db.destroy();
      }
    });
  });

  it('rejects clients it cannot speak to, and names that are not plain identifiers', () => {
    expect(() => sqlStore({ client: {} as never })).toThrow(/pg Pool or Client, a mysql2 pool/);
    expect(() => sqlStore({ client: admin, table: 'x; DROP TABLE y' })).toThrow(/table must be a plain SQL identifier/);
    expect(() => sqlStore({ client: admin, schema: 'a"b' })).toThrow(/schema must be a plain SQL identifier/);
    expect(() => sqlStore({ client: admin, table: 't'.repeat(51) })).toThrow(/at most 50 characters/);
    expect(() => sqlStore({ client: admin, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => sqlStore.ddl({ dialect: 'oracle' as never })).toThrow(/dialect must be/);
  });

  it('prints the DDL of every dialect', () => {
    expect(sqlStore.ddl({ dialect: 'postgres', table: 'web', schema: 'app' })).toContain('CREATE TABLE IF NOT EXISTS "app"."web"');
    expect(sqlStore.ddl({ dialect: 'mysql', table: 'web' })).toContain('LONGBLOB');
    expect(sqlStore.ddl({ dialect: 'sqlite' })).toContain('CREATE INDEX IF NOT EXISTS "sessions_expires_at" ON "sessions"');
  });
});
