/**
 * The Deno KV store on a real KV database in a temporary file: in Node through @deno/kv
 * (its native engine, from the registry package), and, run under Deno (`npm run
 * test:deno-kv`), through Deno.openKv itself. The same file, the same suites, either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { webSessions } from '../../src/adapters/web.js';
import { SessionConfigError } from '../../src/core/errors.js';
import { StoreError, type Store, type StoreRecord } from '../../src/core/store.js';
import { DenoKvStore, type KvDatabase, type KvKey } from '../../src/stores/deno-kv/index.js';
import { decodeValue, encodeValue, HEADER_BYTES, MAX_SESSION_BYTES, newToken } from '../../src/stores/deno-kv/value.js';
import { formatVersion } from '../../src/stores/deno-kv/version.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';

type Database = KvDatabase & { close(): void };
type OpenKv = (path: string) => Promise<Database>;
const deno = (globalThis as { Deno?: { openKv: OpenKv } }).Deno;
/** Deno's own KV when the tests run under Deno, @deno/kv in Node: both must fit KvDatabase as they are. */
const openKv: OpenKv = deno ? (path) => deno.openKv(path) : async (path) => (await import('@deno/kv')).openKv(path);
const runtime = deno ? 'Deno.openKv' : '@deno/kv in Node';

const quiet = { warn: () => {} };
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => (data ? new TextDecoder().decode(data) : undefined);
const record = (value = 'x', expiresAt = Date.now() + 60_000) => ({ data: bytes(value), expiresAt });

/**
 * Writes `value` under `key` in the store's layout but without `expireIn`, so that no purge
 * of KV's can take it during the test (when KV purges is its own affair: its expiry is ours
 * to check). Resolves the version a read would give.
 */
async function writeWithoutExpireIn(kv: KvDatabase, store: DenoKvStore, key: string, value: StoreRecord): Promise<string> {
  const token = newToken();
  const written = await kv.set(store.keyFor(key), encodeValue(value, token));
  if (!written.ok) throw new Error(`KV refused the value planted under ${key}`);
  return formatVersion(written.versionstamp, token, value.expiresAt);
}

/** A session of ours that expired a second ago, as KV holds one until its late purge. */
const plantExpired = (kv: KvDatabase, store: DenoKvStore, key: string) => writeWithoutExpireIn(kv, store, key, record('dead', Date.now() - 1000));

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-deno-kv-'));
const open: Database[] = [];
afterAll(() => {
  for (const kv of open) kv.close();
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;
/** A database of its own in a new file, or a second handle on `path`, closed after the file's tests. */
async function database(path = join(dir, `kv-${files++}.sqlite`)): Promise<{ kv: Database; path: string }> {
  const kv = await openKv(path);
  open.push(kv);
  return { kv, path };
}

const paths = new WeakMap<Store, string>();
const databases = new WeakMap<Store, Database>();
async function fixture() {
  const { kv, path } = await database();
  const store = new DenoKvStore({ kv });
  paths.set(store, path);
  databases.set(store, kv);
  return { store };
}

describeStore(`deno-kv (${runtime})`, fixture, ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired'], {
  // One KV value holds at most 64 KiB.
  largeValueBytes: MAX_SESSION_BYTES,
  // Another program's value under the key, written through a handle of its own.
  // The suite's expired records stay until our sweep removes them, whatever KV's purge does.
  plantRecord: async (key, value, store) => {
    if (!(store instanceof DenoKvStore)) throw new Error('the deno-kv fixture builds DenoKvStores');
    await writeWithoutExpireIn(databases.get(store)!, store, key, value);
  },
  plantForeignValue: async (key, store) => {
    if (!(store instanceof DenoKvStore)) throw new Error('the deno-kv fixture builds DenoKvStores');
    const { kv } = await database(paths.get(store));
    await kv.set(store.keyFor(key), bytes('{"flask":"session"}'));
  },
});
describeSessionsOverHttp(`deno-kv (${runtime})`, fixture);

describe(`DenoKvStore (${runtime})`, () => {
  async function storeOn(options: { prefix?: string[]; sweepBatchSize?: number } = {}) {
    const { kv, path } = await database();
    return { kv, path, store: new DenoKvStore({ kv, logger: quiet, ...options }) };
  }

  it('keeps a session as one value under [...prefix, key]: our header, then the bytes; the version starts with its versionstamp', async () => {
    const { kv, store } = await storeOn({ prefix: ['app', 'sessions'] });
    const expiresAt = Date.now() + 60_000 + 0.5;
    const version = await store.set('session:layout', { data: new Uint8Array([0, 1, 254, 255]), expiresAt });
    const entry = await kv.get(['app', 'sessions', 'session:layout']);
    expect(entry.value).toBeInstanceOf(Uint8Array);
    expect((entry.value as Uint8Array).byteLength).toBe(HEADER_BYTES + 4);
    const stored = decodeValue(entry.value)!;
    expect([...stored.data]).toEqual([0, 1, 254, 255]);
    expect(stored.expiresAt).toBe(expiresAt);
    expect(version.startsWith(`${entry.versionstamp!}.`)).toBe(true);
    expect((await store.get('session:layout'))?.version).toBe(version);
    let listed = 0;
    for await (const _ of kv.list({ prefix: ['app'] })) listed++;
    expect(listed).toBe(1);
  });

  it("an expired session that KV has not deleted yet (expireIn runs late) reads as absent, and is not revived by touch or setIf", async () => {
    const { kv, store } = await storeOn();
    const version = await plantExpired(kv, store, 'k');
    // There in KV itself: only our own check makes it absent.
    expect(decodeValue((await kv.get(store.keyFor('k'))).value)).toBeDefined();
    expect(await store.get('k')).toBeUndefined();
    await store.touch('k', Date.now() + 60_000);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.setIf('k', record('zombie'), version)).toBe(false);
    expect(await store.get('k')).toBeUndefined();
  });

  it(`a session over ${MAX_SESSION_BYTES} bytes is refused with a StoreError before anything is sent; the stored one stays`, async () => {
    const { store } = await storeOn();
    const fits = new Uint8Array(MAX_SESSION_BYTES).fill(7);
    const version = await store.set('k', { data: fits, expiresAt: Date.now() + 60_000 });
    expect((await store.get('k'))?.data.byteLength).toBe(MAX_SESSION_BYTES);
    const tooBig = { data: new Uint8Array(MAX_SESSION_BYTES + 1), expiresAt: Date.now() + 60_000 };
    for (const attempt of [store.set('k', tooBig), store.setIf('k', tooBig, version), store.create('new', tooBig)]) {
      const error: unknown = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toMatch(/^\[sessionkit:deno-kv\] (write|create) refused: the session \(65518 bytes\) does not fit in one Deno KV value, whose limit is 65536 bytes/);
    }
    expect((await store.get('k'))?.version).toBe(version);
    expect(await store.get('new')).toBeUndefined();
  });

  it('a session that grows past 64 KiB fails its request with that StoreError; the session stored before stays, and the next request works', async () => {
    const { store } = await storeOn();
    const silent = { warn: () => {}, info: () => {} };
    const sessions = webSessions<{ blob?: string; n?: number }>({ store, secret: 'deno-kv-test-secret-0123456789abcdef', logger: silent });
    const app = sessions.handle((request, session) => {
      if (new URL(request.url).pathname === '/big') session.blob = 'x'.repeat(70_000);
      session.n = (session.n ?? 0) + 1;
      return Response.json({ n: session.n });
    });
    const first = await app(new Request('http://app.test/'));
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const error: unknown = await app(new Request('http://app.test/big', { headers: { cookie } })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(/does not fit in one Deno KV value, whose limit is 65536 bytes/);
    const next = await app(new Request('http://app.test/', { headers: { cookie } }));
    expect(await next.json()).toEqual({ n: 2 });
  });

  it('two handles on one database file (two processes): a compare-and-set through one makes the version the other holds stale', async () => {
    const { path, store } = await storeOn();
    const other = new DenoKvStore({ kv: (await database(path)).kv });
    await store.set('k', record('one'));
    const read = (await store.get('k'))!;
    expect(await other.setIf('k', record('two'), read.version!)).toBe(true);
    expect(await store.setIf('k', record('three'), read.version!)).toBe(false);
    expect(text((await store.get('k'))?.data)).toBe('two');
    // A touch through the other handle keeps the version good: same token, new versionstamp.
    const current = (await store.get('k'))!.version!;
    await other.touch('k', Date.now() + 120_000);
    expect((await store.get('k'))!.version).not.toBe(current);
    expect(await store.setIf('k', record('four'), current)).toBe(true);
    // A version that is not one of ours is refused, not sent.
    expect(await store.setIf('k', record('five'), 'garbage')).toBe(false);
  });

  it('create refuses to replace a value that is not ours, and a sweep leaves it and other prefixes alone', async () => {
    const { kv, store } = await storeOn({ prefix: ['mine'], sweepBatchSize: 2 });
    const neighbour = new DenoKvStore({ kv, prefix: ['theirs'] });
    await kv.set(store.keyFor('foreign'), bytes('not ours'));
    expect(await store.create('foreign', record())).toBe(false);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((key) => plantExpired(kv, store, key)));
    await plantExpired(kv, neighbour, 'n');
    await store.set('live', record('live'));
    expect(await store.countExpired()).toBe(5);
    // Pages of two entries: the limit is honoured across pages.
    expect(await store.deleteExpired({ limit: 3 })).toBe(3);
    expect(await store.deleteExpired()).toBe(2);
    expect(await store.countExpired()).toBe(0);
    expect(decodeValue((await kv.get(store.keyFor('foreign'))).value)).toBeUndefined();
    expect((await kv.get(store.keyFor('foreign'))).versionstamp).not.toBeNull();
    expect(await neighbour.countExpired()).toBe(1);
    expect(text((await store.get('live'))?.data)).toBe('live');
  });

  it('a database closed under the store fails with a StoreError naming the store, not a crash', async () => {
    const { kv, store } = await storeOn();
    await store.set('k', record());
    kv.close();
    open.splice(open.indexOf(kv), 1);
    for (const attempt of [store.get('k'), store.set('k', record()), store.deleteExpired()]) {
      const error: unknown = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toMatch(/^\[sessionkit:deno-kv\] (read|write|sweep \(list\)) failed: /);
    }
  });

  it('refuses options that cannot work when it is built', () => {
    expect(() => new DenoKvStore({} as never)).toThrow(SessionConfigError);
    expect(() => new DenoKvStore({ kv: { get: () => {} } as never })).toThrow(/Deno\.openKv/);
  });

  it('checks its prefix, batch size and timeout', async () => {
    const { kv } = await database();
    expect(() => new DenoKvStore({ kv, prefix: [1] as unknown as string[] })).toThrow(/prefix must be an array of strings/);
    expect(() => new DenoKvStore({ kv, sweepBatchSize: 0 })).toThrow(/sweepBatchSize/);
    expect(() => new DenoKvStore({ kv, timeout: -1 })).toThrow(/timeout/);
    expect(new DenoKvStore({ kv }).keyFor('s:1') satisfies KvKey).toEqual(['sessions', 's:1']);
  });
});
