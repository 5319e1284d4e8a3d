/**
 * The Workers KV store against a real KV namespace in workerd (miniflare), reached from
 * Node through miniflare's KV proxy: the shared suites without compare-and-set (as the
 * connect stores), then what is KV's own: the 60-second TTL floor with the expiry still
 * enforced on read, the metadata, the key limit, and the engine refusing userField and
 * lock at start-up.
 */
import { describe, expect, it } from 'vitest';
import { SessionEngine } from '../../src/engine/engine.js';
import { SessionConfigError } from '../../src/core/errors.js';
import { StoreError } from '../../src/core/store.js';
import { workersKvStore } from '../../src/stores/workers-kv.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { bundleWorker, sharedMiniflare } from '../helpers/miniflare.js';

const record = (text: string, expiresAt = Date.now() + 60_000) => ({ data: new TextEncoder().encode(text), expiresAt });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const unique = (label: string) => `${label}-${process.pid}-${counter++}`;

const miniflare = sharedMiniflare({ kvNamespaces: ['SESSIONS'], script: (await bundleWorker('test/stores/workers-kv.worker.ts')).code });
const namespace = async () => (await miniflare()).getKVNamespace('SESSIONS');
// Every call goes from Node through miniflare's proxy to workerd: on a loaded 2-core machine
// that alone outlasted the store's 5 s default (seen at load 17). The suites are about what
// the store does, so their stores wait longer.
const fixture = async () => ({ store: workersKvStore({ namespace: await namespace(), timeout: 30_000 }) });

// No optional capability: KV has no insert-if-absent, no compare-and-set, no expiry change without a rewrite.
describeStore('workers-kv (miniflare)', fixture, [], {
  plantForeignValue: async (key) => {
    await (await namespace()).put(key, 'another application’s value');
  },
});
describeSessionsOverHttp('workers-kv (miniflare)', fixture, { compareAndSet: false });

describe('workers-kv store', () => {
  it('keeps a record with less than 60 s to live in KV for 60 s, and reads it as absent when its own expiry passes', async () => {
    const kv = await namespace();
    const store = workersKvStore({ namespace: kv });
    const key = unique('short');
    // Long enough for the write and the reads below through miniflare's proxy on a loaded
    // machine; then the wait is for the expiry itself.
    const expiresAt = Date.now() + 3000;
    await store.set(key, record('short', expiresAt));
    const listed = (await kv.list({ prefix: key })).keys[0];
    // KV's own expiry (whole seconds) is the floor, a minute away (KV refuses an expirationTtl
    // below 60 s); ours rides in the metadata.
    expect(listed?.expiration).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 60 - 2);
    expect(listed?.metadata).toEqual({ expiresAt });
    expect((await store.get(key))?.expiresAt).toBe(expiresAt);
    await sleep(expiresAt - Date.now() + 50);
    expect(await kv.get(key)).not.toBeNull(); // still in KV
    expect(await store.get(key)).toBeUndefined(); // but expired for sessionkit
  });

  it('gives a longer-lived record its own life in KV, never shorter, rounded up to whole seconds', async () => {
    const kv = await namespace();
    const key = unique('long');
    const expiresAt = Date.now() + 3_600_500;
    await workersKvStore({ namespace: kv }).set(key, record('long', expiresAt));
    const listed = (await kv.list({ prefix: key })).keys[0];
    expect(listed?.expiration).toBeGreaterThanOrEqual(Math.ceil(expiresAt / 1000));
    expect(listed?.expiration).toBeLessThanOrEqual(Math.ceil(expiresAt / 1000) + 3);
  });

  it('deletes instead of writing a record that is already expired, so it replaces the live one', async () => {
    const kv = await namespace();
    const store = workersKvStore({ namespace: kv });
    const key = unique('dead');
    await store.set(key, record('alive'));
    await store.set(key, record('dead', Date.now() - 1));
    expect(await kv.get(key)).toBeNull();
  });

  it('refuses a key longer than the 512 bytes KV takes, with a StoreError that says so', async () => {
    const store = workersKvStore({ namespace: await namespace() });
    await expect(store.set('é'.repeat(257), record('x'))).rejects.toThrow(StoreError);
    await expect(store.set('é'.repeat(257), record('x'))).rejects.toThrow(/longer than 512 bytes/);
    await store.set('é'.repeat(256), record('fits'));
  });

  it('the engine refuses userField and lock at start-up, naming what the store lacks', async () => {
    const store = workersKvStore({ namespace: await namespace() });
    const secret = 'a secret of at least thirty-two characters';
    expect(() => new SessionEngine({ store, secret, userField: 'user' })).toThrow(SessionConfigError);
    expect(() => new SessionEngine({ store, secret, userField: 'user' })).toThrow(/userField needs .*compare-and-set.*the workers-kv store lacks/);
    expect(() => new SessionEngine({ store, secret, lock: true })).toThrow(SessionConfigError);
    expect(() => new SessionEngine({ store, secret, lock: true })).toThrow(/lock needs .*compare-and-set.*the workers-kv store lacks create/);
  });

  it('runs inside a Worker with no compatibility flag: every operation from workerd itself', async () => {
    const response = await (await miniflare()).dispatchFetch(`http://worker/?key=${unique('in-worker')}`);
    expect(await response.json()).toEqual({ first: 'one', expiresAt: true, second: 'two', afterDelete: null });
  });

  it('refuses what is not a KV namespace binding', () => {
    expect(() => workersKvStore({ namespace: {} as never })).toThrow(/workersKvStore: `namespace` must be a KV namespace binding/);
  });

  it('loads in workerd without nodejs_compat: no node: import (the bundle would fail) and no Buffer in its graph', async () => {
    const { code } = await bundleWorker('src/stores/workers-kv.ts');
    expect(code).not.toMatch(/\bBuffer\b/);
  });
});
