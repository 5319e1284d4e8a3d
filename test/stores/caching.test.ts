/**
 * cachingStore({ cache, store }): the contract and the HTTP suite on memory over SQLite, and
 * what is special to a cache, on memory stores whose durable calls are counted
 * (test/helpers/counting-store.ts). The PostgreSQL and Redis-over-PostgreSQL runs, and two
 * instances over one cache and one database, are in caching-servers.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionConfigError } from '../../src/core/errors.js';
import type { Store, StoreRecord } from '../../src/core/store.js';
import { SessionEngine } from '../../src/engine/engine.js';
import { CachingStore, cachingStore } from '../../src/stores/caching/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describePlantedRecords } from '../conformance/planted-record-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { CountingStore } from '../helpers/counting-store.js';
import { requestsOf } from '../helpers/engine-request.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (record: StoreRecord | undefined) => (record ? new TextDecoder().decode(record.data) : undefined);
const record = (value: string, expiresAt = Date.now() + 60_000): StoreRecord => ({ data: bytes(value), expiresAt });
const quiet = { warn: () => {}, info: () => {} };
const SECRET = 'caching-store-test-secret-0123456789';
let keys = 0;
const freshKey = () => `session:caching-${keys++}`;

describe('memory over SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sessionkit-caching-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const fixture = async () => {
    const store = cachingStore({ cache: new MemoryStore(), store: new SqliteStore({ path: join(dir, `sessions-${files++}.db`) }) });
    return { store, cleanup: () => store.close() };
  };
  // getSync: both parts read synchronously; no createSync/setIfSync: the cache's marker is written through a promise.
  describeStore('caching: memory over SQLite', fixture, ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'keys', 'getSync', 'getExpired']);
  describeSessionsOverHttp('caching: memory over SQLite', fixture);
  describePlantedRecords('caching: memory over SQLite', fixture);
});

describe('cachingStore', () => {
  /** A memory cache over a durable memory store whose calls are counted. */
  const counted = (options: { missTtl?: number | string; ttl?: number | string } = {}) => {
    const durable = new CountingStore();
    const cache = new MemoryStore();
    return { durable, cache, store: cachingStore({ cache, store: durable, ...options }) };
  };

  it('serves repeated reads from the cache: one durable read, then none', async () => {
    const { durable, store } = counted();
    const key = freshKey();
    await store.set(key, record('one'));
    durable.reset();
    for (let i = 0; i < 5; i++) expect(text(await store.get(key))).toBe('one');
    expect(durable.calls.get).toBe(1);
  });

  it('caches an absent key for missTtl: made-up ids reach the durable store once per missTtl', async () => {
    const { durable, store } = counted({ missTtl: '300ms' });
    const key = freshKey();
    for (let i = 0; i < 5; i++) expect(await store.get(key)).toBeUndefined();
    expect(durable.calls.get).toBe(1);
    await sleep(350);
    expect(await store.get(key)).toBeUndefined();
    expect(durable.calls.get).toBe(2);
  });

  it('missTtl: 0 caches no absent key', async () => {
    const { durable, store } = counted({ missTtl: 0 });
    const key = freshKey();
    for (let i = 0; i < 3; i++) await store.get(key);
    expect(durable.calls.get).toBe(3);
  });

  it('a create clears a cached miss', async () => {
    const { store } = counted({ missTtl: '1h' });
    const key = freshKey();
    expect(await store.get(key)).toBeUndefined();
    expect(await store.create!(key, record('new'))).toBe(true);
    expect(text(await store.get(key))).toBe('new');
  });

  it("another cache's miss: a session created through one cache reads as absent through the other for missTtl at most", async () => {
    const durable = new CountingStore();
    const here = cachingStore({ cache: new MemoryStore(), store: durable, missTtl: '300ms' });
    const there = cachingStore({ cache: new MemoryStore(), store: durable, missTtl: '300ms' });
    const key = freshKey();
    expect(await there.get(key)).toBeUndefined();
    await here.create!(key, record('fresh'));
    expect(await there.get(key)).toBeUndefined();
    await sleep(350);
    expect(text(await there.get(key))).toBe('fresh');
  });

  it("a read served by a stale cache carries the durable version it was read with: its compare-and-set loses, and the next read is the durable record", async () => {
    const durable = new CountingStore();
    const here = cachingStore({ cache: new MemoryStore(), store: durable });
    const there = cachingStore({ cache: new MemoryStore(), store: durable });
    const key = freshKey();
    await here.set(key, record('one'));
    const staleRead = await there.get(key);
    const current = await here.get(key);
    expect(await here.setIf!(key, record('two'), current!.version!)).toBe(true);
    // `there` has not seen the write: its cache still answers the old record, with the old version.
    expect(text(await there.get(key))).toBe('one');
    expect(await there.setIf!(key, record('three'), staleRead!.version!)).toBe(false);
    expect(text(await there.get(key))).toBe('two');
  });

  it('a read of the durable store from before a write cannot put the old record back in the cache after it', async () => {
    // The durable store answers the read, then holds the answer until released: the write
    // lands (and marks the cache entry stale) while the old record is on its way to the cache.
    let release = () => {};
    let holding = false;
    class HeldReads extends MemoryStore {
      override async get(key: string) {
        const found = this.getSync(key);
        if (holding) await new Promise<void>((resolve) => (release = resolve));
        return found;
      }
    }
    for (const before of ['nothing', 'a stale marker'] as const) {
      const durable = new CountingStore(new HeldReads());
      const store = cachingStore({ cache: new MemoryStore(), store: durable });
      const key = freshKey();
      await durable.set(key, record('old'));
      if (before === 'a stale marker') await store.touch!(key, Date.now() + 60_000);
      holding = true;
      const slowRead = store.get(key);
      await sleep(10);
      holding = false;
      const version = (await durable.get(key))!.version!;
      expect(await store.setIf!(key, record('new'), version)).toBe(true);
      release();
      expect(text(await slowRead)).toBe('old');
      expect(text(await store.get(key)), `the cache held ${before} before the read`).toBe('new');
    }
  });

  it('two engines with caches of their own: a change made through one is merged by the other after its compare-and-set loses', async () => {
    const durable = new CountingStore();
    const engineFor = () => new SessionEngine<Record<string, unknown>>({ store: cachingStore({ cache: new MemoryStore(), store: durable }), secret: SECRET, logger: quiet, maxConflictRetries: 2 });
    const [a, b] = [engineFor(), engineFor()];
    const created = await requestsOf(a)(undefined, (session) => {
      session.start = 1;
    });
    const cookie = created.cookie!;
    await requestsOf(b)(cookie); // b's cache now holds the record
    await requestsOf(a)(cookie, (session) => {
      session.fromA = 1;
    });
    await requestsOf(b)(cookie, (session) => {
      session.fromB = 1;
    });
    const { session } = await requestsOf(a)(cookie);
    expect(Object.fromEntries(Object.entries(session))).toEqual({ start: 1, fromA: 1, fromB: 1 });
  });

  it('deletes and touches mark the cache entry stale: the next read is the durable record', async () => {
    const { durable, store } = counted();
    const key = freshKey();
    await store.set(key, record('kept', Date.now() + 5000));
    await store.get(key);
    const later = Date.now() + 120_000;
    await store.touch!(key, later);
    expect((await store.get(key))?.expiresAt).toBe(later);
    await store.delete(key);
    durable.reset();
    expect(await store.get(key)).toBeUndefined();
    expect(durable.calls.get).toBe(1);
  });

  it('a cache entry never outlives its record, nor ttl', async () => {
    const { cache, store } = counted({ ttl: '10s' });
    const soon = freshKey();
    const late = freshKey();
    const expiresSoon = Date.now() + 2000;
    await store.set(soon, record('soon', expiresSoon));
    await store.set(late, record('late', Date.now() + 3_600_000));
    await store.get(soon);
    await store.get(late);
    expect(cache.getSync(soon)!.expiresAt).toBeLessThanOrEqual(expiresSoon);
    expect(cache.getSync(late)!.expiresAt).toBeLessThanOrEqual(Date.now() + 10_000);
    expect((await store.get(late))?.expiresAt).toBeGreaterThan(Date.now() + 3_000_000);
  });

  it('a value in the cache that is not a cache entry: the durable record is read, with one warning naming the key by its handle, and the value is left alone', async () => {
    const warnings: string[] = [];
    const durable = new CountingStore();
    const cache = new MemoryStore();
    const store = cachingStore({ cache, store: durable, logger: { warn: (message) => warnings.push(message) } });
    const key = freshKey();
    await durable.set(key, record('durable'));
    await cache.set(key, record('not a cache entry'));
    expect(text(await store.get(key))).toBe('durable');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('session:<handle ');
    expect(warnings[0]).not.toContain(key.slice('session:'.length));
    expect(text(cache.getSync(key))).toBe('not a cache entry');
  });

  it('has only the capabilities both parts allow', () => {
    const bare = { name: 'bare', get: async () => undefined, set: async () => undefined, delete: async () => {} };
    const store: Store = cachingStore({ cache: new MemoryStore(), store: bare });
    for (const capability of ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'keys', 'getSync', 'createSync', 'setIfSync'] as const) {
      expect(typeof store[capability], capability).toBe('undefined');
    }
    // A durable store that reads only through promises: no getSync, though the memory cache has one.
    expect(typeof cachingStore({ cache: new MemoryStore(), store: new CountingStore() }).getSync).toBe('undefined');
  });

  it('refuses at start-up what cannot work, saying what to change', () => {
    const noCompareAndSet = { name: 'plain', get: async () => undefined, set: async () => undefined, delete: async () => {} };
    const durable = new MemoryStore();
    expect(() => cachingStore({ cache: noCompareAndSet, store: durable })).toThrow(SessionConfigError);
    expect(() => cachingStore({ cache: noCompareAndSet, store: durable })).toThrow(/cache \(plain\) has no create or setIf.*memoryStore\(\) or redisStore\(\)/);
    expect(() => cachingStore({ cache: durable, store: durable })).toThrow(/the same store/);
    expect(() => cachingStore({ cache: new MemoryStore(), store: durable, ttl: 'soon' })).toThrow(SessionConfigError);
    expect(() => cachingStore({ cache: new MemoryStore(), store: durable, ttl: 0 })).toThrow(/ttl must be more than 0/);
    expect(() => cachingStore({ cache: new MemoryStore(), store: durable, missTtl: -1 })).toThrow(SessionConfigError);
    expect(() => cachingStore({ store: durable } as never)).toThrow(/pass two stores/);
    expect(new CachingStore({ cache: new MemoryStore(), store: durable }).name).toBe('caching:memory/memory');
  });
});
