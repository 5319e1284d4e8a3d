import { createHash } from 'node:crypto';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { StoreError } from '../../src/core/store.js';
import { FirestoreStore } from '../../src/stores/firestore/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeOutages } from '../conformance/outage-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { CookieJar, type TestServer } from '../helpers/http.js';
import { FIRESTORE_REQUIRES, startFirestoreEmulator, type FirestoreEmulator } from '../servers/firestore.js';
import { describeWithServer } from '../servers/suite.js';
import { seedsExample, seedsExampleApp } from '../helpers/seeds-example.js';

const quiet = { warn: () => {}, info: () => {} };
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => (data ? new TextDecoder().decode(data) : undefined);
const record = (value = 'x', expiresAt = Date.now() + 60_000) => ({ data: bytes(value), expiresAt });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const clients: Firestore[] = [];
afterAll(async () => {
  await Promise.all(clients.map((client) => client.terminate()));
});

/** A client of the harness's emulator, and of nothing else (explicit address and project id). */
function clientFor(emulator: FirestoreEmulator): Firestore {
  const client = new Firestore(emulator.clientSettings());
  clients.push(client);
  return client;
}

let collections = 0;
const collectionName = (label: string) => `sessions_${label}_${process.pid}_${collections++}`;

describeWithServer('firestore store on the Firestore emulator', { requires: FIRESTORE_REQUIRES, start: () => startFirestoreEmulator() }, (server) => {
  /** The raw documents, read with a client of the test's own, not the store's. */
  let raw: Firestore;
  const rawClient = () => (raw ??= clientFor(server()));

  async function fixture() {
    return { store: new FirestoreStore({ client: clientFor(server()), collection: collectionName('suite') }) };
  }

  describeStore('firestore', fixture, ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'getExpired'], {
    // Another application's document in the same collection, under the key as its id.
    plantForeignValue: async (key, store) => {
      if (!(store instanceof FirestoreStore)) throw new Error('the firestore fixture builds FirestoreStores');
      await rawClient().collection(store.collection).doc(key).set({ val: 'flask', expiresAt: 'never' });
    },
  });
  describeSessionsOverHttp('firestore', fixture);

  describe('FirestoreStore', () => {
    beforeEach(async () => {
      await server().reset();
    });

    function storeOn(collection = collectionName('own'), options: { sweepBatchSize?: number } = {}) {
      return new FirestoreStore({ client: clientFor(server()), collection, logger: quiet, ...options });
    }
    const doc = (store: FirestoreStore, id: string) => rawClient().collection(store.collection).doc(id).get();

    it('reset empties the emulator (the harness itself)', async () => {
      const store = storeOn();
      await store.set('k', record());
      expect((await doc(store, 'k')).exists).toBe(true);
      await server().reset();
      expect((await doc(store, 'k')).exists).toBe(false);
    });

    it('writes one document per session, its id the key: key, data as Bytes, expiresAt as a Timestamp, version', async () => {
      const store = storeOn();
      const expiresAt = Date.now() + 60_000 + 7;
      const version = await store.set('session:layout', { data: new Uint8Array([0, 1, 254, 255]), expiresAt });
      const snapshot = await doc(store, 'session:layout');
      const fields = snapshot.data()!;
      expect(Object.keys(fields).sort()).toEqual(['data', 'expiresAt', 'key', 'version']);
      expect(fields.key).toBe('session:layout');
      expect(Buffer.isBuffer(fields.data) && [...fields.data]).toEqual([0, 1, 254, 255]);
      expect(fields.expiresAt).toBeInstanceOf(Timestamp);
      expect((fields.expiresAt as Timestamp).toMillis()).toBe(expiresAt);
      // The version the engine holds: the token, the document's updateTime, the expiry.
      const { seconds, nanoseconds } = snapshot.updateTime!;
      expect(version).toBe(`${String(fields.version)}.${seconds}.${nanoseconds}.${expiresAt}`);
      expect((await store.get('session:layout'))?.version).toBe(version);
    });

    it('keys that cannot be document ids live under ~ + SHA-256 of the key, each its own', async () => {
      const store = storeOn();
      const keys = ['session:a/b', 'session:a/c', '~session:x', '..', '__session__', `session:${'x'.repeat(1600)}`];
      await Promise.all(keys.map((key, i) => store.set(key, record(`v${i}`))));
      for (const [i, key] of keys.entries()) {
        expect(text((await store.get(key))?.data)).toBe(`v${i}`);
        const id = `~${createHash('sha256').update(key).digest('base64url')}`;
        expect((await doc(store, id)).get('key')).toBe(key);
      }
      const { size } = await rawClient().collection(store.collection).get();
      expect(size).toBe(keys.length);
    });

    it('a stale version loses: the lastUpdateTime precondition refuses a write made after another', async () => {
      const store = storeOn();
      await store.set('k', record('one'));
      const read = (await store.get('k'))!;
      // Another process's store (its own client) writes in between.
      const other = new FirestoreStore({ client: clientFor(server()), collection: store.collection });
      expect(await other.setIf('k', record('two'), read.version!)).toBe(true);
      const before = await doc(store, 'k');
      expect(await store.setIf('k', record('three'), read.version!)).toBe(false);
      const after = await doc(store, 'k');
      expect(text((await store.get('k'))?.data)).toBe('two');
      expect(after.updateTime!.isEqual(before.updateTime!)).toBe(true); // nothing was written
      // A version that is not one of this store's is refused, not sent.
      expect(await store.setIf('k', record('four'), 'garbage')).toBe(false);
    });

    it('touch writes the expiry alone: data, key and token unchanged, the document never created', async () => {
      const store = storeOn();
      await store.set('k', record('kept'));
      const before = (await doc(store, 'k')).data()!;
      const later = Date.now() + 120_000 + 3;
      await store.touch('k', later);
      const after = (await doc(store, 'k')).data()!;
      expect((after.expiresAt as Timestamp).toMillis()).toBe(later);
      expect({ ...after, expiresAt: null }).toEqual({ ...before, expiresAt: null });
      await store.touch('missing', later);
      expect((await doc(store, 'missing')).exists).toBe(false);
    });

    it('an expired document stays invisible while the emulator keeps it (no TTL): get, setIf and touch see none, create replaces it', async () => {
      const store = storeOn();
      // Long enough for the write and the read of its version on a loaded machine; then
      // the wait is for the expiry itself.
      const expiresAt = Date.now() + 3000;
      await store.set('k', record('short', expiresAt));
      const version = (await store.get('k'))!.version!;
      await sleep(expiresAt - Date.now() + 50);
      expect((await doc(store, 'k')).exists).toBe(true);
      expect(await store.get('k')).toBeUndefined();
      // The version's updateTime still matches, but the session has expired meanwhile.
      expect(await store.setIf('k', record('late'), version)).toBe(false);
      expect((await doc(store, 'k')).get('data')).toEqual(Buffer.from('short'));
      expect(await store.create('k', record('new'))).toBe(true);
      expect(text((await store.get('k'))?.data)).toBe('new');
    });

    it('setIf after a touch still wins with the version read before it, and then changes it', async () => {
      const store = storeOn();
      await store.set('k', record('one'));
      const version = (await store.get('k'))!.version!;
      await store.touch('k', Date.now() + 90_000);
      expect(await store.setIf('k', record('two'), version)).toBe(true);
      expect(await store.setIf('k', record('three'), version)).toBe(false);
      expect(text((await store.get('k'))?.data)).toBe('two');
    });

    it("create never replaces another application's document, expired or not", async () => {
      const store = storeOn();
      await rawClient().collection(store.collection).doc('k').set({ val: 'theirs', expiresAt: Timestamp.fromMillis(0) });
      expect(await store.create('k', record('ours'))).toBe(false);
      expect((await doc(store, 'k')).data()).toEqual({ val: 'theirs', expiresAt: Timestamp.fromMillis(0) });
    });

    it('deleteExpired queries and deletes in rounds of sweepBatchSize until none is left', async () => {
      const store = storeOn(collectionName('sweep'), { sweepBatchSize: 10 });
      const past = Date.now() - 1000;
      await Promise.all(Array.from({ length: 25 }, (_, i) => store.set(`dead${i}`, record('d', past))));
      await Promise.all(['live1', 'live2'].map((key) => store.set(key, record('l'))));
      // Another application's document with an expiresAt that is not a Timestamp: not ours to delete.
      await rawClient().collection(store.collection).doc('theirs').set({ expiresAt: 'yesterday' });
      expect(await store.deleteExpired()).toBe(25); // three rounds: 10, 10, 5
      const left = (await rawClient().collection(store.collection).get()).docs.map((d) => d.id).sort();
      expect(left).toEqual(['live1', 'live2', 'theirs']);
      expect(await store.deleteExpired()).toBe(0);
    });

    it('deleteExpired with the default round of 500 removes 1100 expired documents', async () => {
      const store = storeOn(collectionName('sweep-default'));
      const past = Date.now() - 1000;
      const writer = rawClient().bulkWriter();
      for (let i = 0; i < 1100; i++) {
        void writer.set(rawClient().collection(store.collection).doc(`dead${i}`), { key: `dead${i}`, data: Buffer.from('d'), expiresAt: new Date(past), version: 't' });
      }
      await writer.close();
      await store.set('live', record('l'));
      expect(await store.deleteExpired()).toBe(1100);
      expect((await rawClient().collection(store.collection).count().get()).data().count).toBe(1);
    }, 60_000);

    it('refuses a session over the 1 MiB document limit with the size and the limit, and writes nothing', async () => {
      const store = storeOn();
      const big = { data: new Uint8Array(1100 * 1024), expiresAt: Date.now() + 60_000 };
      const error = await store.set('big', big).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/\[sessionkit:firestore\] write refused: the session \(1126400 bytes\) .* limit is 1048576 bytes \(1 MiB\)/);
      await expect(store.create('big', big)).rejects.toThrow(/1 MiB/);
      expect((await doc(store, 'big')).exists).toBe(false);
      const data = new Uint8Array(1000 * 1024).fill(7);
      await store.set('edge', { data, expiresAt: Date.now() + 60_000 });
      expect((await store.get('edge'))?.data.length).toBe(data.length);
    });

    it('leaves the borrowed client usable', async () => {
      const client = clientFor(server());
      const store = new FirestoreStore({ client, collection: collectionName('borrowed') });
      await store.set('k', record());
      expect((await client.collection(store.collection).count().get()).data().count).toBe(1);
    });
  });

  describe("flask-session-plus's SESSION_CONFIG example, as the seed shows it, on the emulator", () => {
    const SECRET = 'flask-session-plus-secret-0123456789';
    const COLLECTION = 'sessions';
    let http: TestServer;
    let client: Firestore;

    /** The seed's three entries: 'csrf' (secure_cookie), 'session' (firestore, client + collection), 'data' (secure_cookie, 'auto'). */
    beforeAll(async () => {
      client = clientFor(server());
      // session_type: 'firestore', with the seed's client and collection, by name.
      http = await seedsExampleApp(seedsExample(SECRET, { type: 'firestore', storeOptions: { client, collection: COLLECTION } }), quiet);
    });
    afterAll(async () => {
      await http?.close();
    });
    beforeEach(async () => {
      await server().reset();
    });

    const names = (response: Response) => response.headers.getSetCookie().map((line) => line.slice(0, line.indexOf('='))).sort();
    /** The collection's documents, read with the Firestore client itself. */
    const documents = async () => (await client.collection(COLLECTION).get()).docs;

    it('csrf_token and every other field live in their sealed cookies; only user_id and user_data are stored in Firestore', async () => {
      const jar = new CookieJar();
      expect(names(await jar.fetch(`${http.url}/set/csrf_token/csrf-t0k3n-value`))).toEqual(['csrf']);
      expect(await documents()).toEqual([]); // a csrf token alone writes nothing to Firestore
      const started = Date.now();
      expect(names(await jar.fetch(`${http.url}/login/user-1042`))).toEqual(['csrf', 'session']);
      expect(names(await jar.fetch(`${http.url}/set/theme/dark`))).toEqual(['data']);
      expect(names(await jar.fetch(`${http.url}/set/cart/3-items`))).toEqual(['data']);
      const read = await jar.fetch(`${http.url}/all`);
      expect(await read.json()).toEqual({
        csrf_token: 'csrf-t0k3n-value',
        user_id: 'user-1042',
        user_data: { name: 'Ada Lovelace', roles: ['admin'] },
        theme: 'dark',
        cart: '3-items',
      });

      // In Firestore: one document, 'session:' + the session cookie's id, holding exactly user_id and user_data.
      const docs = await documents();
      expect(docs.map((d) => d.id)).toEqual([`session:${jar.cookies.get('session')!}`]);
      const fields = docs[0]!.data();
      const payload = msgpackCodec.decode(fields.data as Uint8Array) as { d: Record<string, unknown> };
      expect(payload.d).toEqual({ user_id: 'user-1042', user_data: { name: 'Ada Lovelace', roles: ['admin'] } });
      const expiresAt = (fields.expiresAt as Timestamp).toMillis();
      const month = 31 * 86_400_000; // the default lifetime
      expect(expiresAt).toBeGreaterThanOrEqual(started + month);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + month);
      // The sealed cookies hold their fields encrypted: no plaintext in the browser.
      expect(jar.cookies.get('csrf')).not.toContain('t0k3n');
      expect(jar.cookies.get('data')).not.toContain('dark');

      // A change of user_id rewrites the document; one of theme touches only the 'data' cookie.
      const version = docs[0]!.updateTime;
      expect(names(await jar.fetch(`${http.url}/set/user_id/user-7`))).toEqual(['session']);
      const [changed] = await documents();
      expect((msgpackCodec.decode(changed!.get('data') as Uint8Array) as { d: object }).d).toMatchObject({ user_id: 'user-7' });
      expect(changed!.updateTime.isEqual(version)).toBe(false);
      expect(names(await jar.fetch(`${http.url}/set/theme/light`))).toEqual(['data']);
      expect((await documents())[0]!.updateTime.isEqual(changed!.updateTime)).toBe(true);
    });

    it('logging out destroys every part and deletes the Firestore document', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${http.url}/set/csrf_token/a`);
      await jar.fetch(`${http.url}/login/user-7`);
      await jar.fetch(`${http.url}/set/theme/light`);
      expect(await documents()).toHaveLength(1);
      expect(names(await jar.fetch(`${http.url}/destroy`))).toEqual(['csrf', 'data', 'session']);
      expect(await documents()).toEqual([]);
      expect(await (await jar.fetch(`${http.url}/all`)).json()).toEqual({});
    });
  });

  describeOutages(
    'firestore',
    server,
    // Each store on a client of its own, never terminated: after a timed-out call the SDK
    // goes on retrying, and a retry on a terminated client is an unhandled rejection inside
    // the SDK (its requestStream does not await its pool). The clients end with the test process.
    async (timeout) => ({
      store: new FirestoreStore({ client: new Firestore(server().clientSettings()), collection: 'sessions_outage', timeout }),
      close: async () => {},
    }),
    {
      // The emulator keeps its documents in memory: it comes back empty.
      keepsData: false,
      // The SDK retries an unreachable emulator for far longer than the store waits: the
      // store's own time bound is the failure, down or frozen.
      down: { read: /read did not answer within 1000 ms/, write: /(write|create) did not answer within 1000 ms/ },
      // gRPC reconnects with backoff after the restart.
      recoveryMs: 10_000,
    },
  );
});

describe('FirestoreStore without a server', () => {
  const client = new Firestore({ projectId: 'sessionkit-test', host: '127.0.0.1:9', ssl: false });
  afterAll(() => client.terminate());

  it('asks for a Firestore client and rejects options that cannot work', () => {
    expect(() => new FirestoreStore({} as never)).toThrow(/pass `client`, a Firestore from @google-cloud\/firestore/);
    expect(() => new FirestoreStore({ client: { collection() {}, bulkWriter() {} } as never })).toThrow(/another copy of @google-cloud\/firestore/);
    expect(() => new FirestoreStore({ client, collection: 'a/b' })).toThrow(/collection "a\/b" is not a collection path/);
    expect(() => new FirestoreStore({ client, sweepBatchSize: 0 })).toThrow(/sweepBatchSize must be an integer/);
    expect(() => new FirestoreStore({ client, timeout: 0 })).toThrow(/timeout must be a positive number/);
    expect(new FirestoreStore({ client }).collection).toBe('sessions');
    expect(new FirestoreStore({ client, collection: 'apps/web/sessions' }).collection).toBe('apps/web/sessions');
  });
});
