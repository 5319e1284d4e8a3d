/**
 * The MongoDB store. No MongoDB server can be installed on these machines; the nearest
 * stand-in is CongoDB (test/servers/congodb.ts), which refuses string `_id`s — the store's
 * key, by design (as connect-mongo). So no session can be written on it, and this file
 * tests on CongoDB exactly what needs no stored session: reads, deletes, touches and
 * compare-and-sets of absent keys, the TTL index the first write creates, the sweep over
 * documents planted with CongoDB's own ObjectId keys, the reading of documents as the
 * driver returns them, the errors, and the read path through an outage.
 *
 * The stand-in's limits are asserted first: the day CongoDB accepts string `_id`s, that
 * test fails, and the conformance suites below (which run on a real MongoDB when
 * SESSIONKIT_MONGODB_URI names one on loopback) should be run on it too.
 */
import { Binary, MongoClient, ObjectId, type Collection } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionConfigError } from '../../src/core/errors.js';
import { StoreError, type StoreRecord } from '../../src/core/store.js';
import { fromDocument, isDuplicateIdError } from '../../src/stores/mongodb/document.js';
import { MongoDBStore } from '../../src/stores/mongodb/index.js';
import { TTL_INDEX } from '../../src/stores/mongodb/document.js';
import { BATCH_SIZE } from '../../src/stores/mongodb/sweep.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { CONGODB_REQUIRES, startCongoDB } from '../servers/congodb.js';
import { describeWithServer } from '../servers/suite.js';

const quiet = { warn: () => {} };
const record = (text = 'x', expiresAt = Date.now() + 60_000) => ({ data: new TextEncoder().encode(text), expiresAt });

const clients: MongoClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close(true)));
});
function clientFor(uri: string): MongoClient {
  // serverMonitoringMode 'poll': after a restart the driver's streaming monitor (exhaust
  // hello) gets "Server ended moreToCome unexpectedly" from CongoDB and never finds it again.
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500, serverMonitoringMode: 'poll' });
  clients.push(client);
  return client;
}

let collections = 0;
const collectionName = (label: string) => `sessions_${label}_${process.pid}_${collections++}`;

/** What a call rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  if (!outcome) throw new Error('expected a rejection');
  return outcome;
}

describe('MongoDBStore options (no server)', () => {
  const client = new MongoClient('mongodb://127.0.0.1:1/?directConnection=true'); // never connected
  it('needs a MongoClient', () => {
    expect(() => new MongoDBStore({} as never)).toThrow(SessionConfigError);
    expect(() => new MongoDBStore({ client: {} as never })).toThrow(/pass `client`, a MongoClient/);
  });
  it('defaults to the seeds\' database and collection', () => {
    const store = new MongoDBStore({ client });
    expect([store.name, store.db, store.collectionName, store.timeout]).toEqual(['mongodb', 'flask_session', 'sessions', 5000]);
  });
  it('refuses database and collection names MongoDB refuses, and a bad timeout', () => {
    for (const db of ['', 'a.b', 'a b', 'a/b', 'x'.repeat(64)]) expect(() => new MongoDBStore({ client, db })).toThrow(/not a valid MongoDB database name/);
    for (const collection of ['', 'a$b', 'system.users']) expect(() => new MongoDBStore({ client, collection })).toThrow(/not a valid MongoDB collection name/);
    for (const timeout of [0, -1, Infinity]) expect(() => new MongoDBStore({ client, timeout })).toThrow(/timeout must be a positive number/);
  });
});

describeWithServer('mongodb store on CongoDB (the stand-in)', { requires: CONGODB_REQUIRES, start: () => startCongoDB() }, (server) => {
  const raw = (name: string): Collection => clientFor(server().uri).db('flask_session').collection(name);

  describe('CongoDB 2.2.0: what it cannot do, asserted so that a change shows', () => {
    it('refuses a string _id on insert, with code 11000 but no keyPattern, and on upsert', async () => {
      const collection = raw(collectionName('limits'));
      const insert = await rejection(collection.insertOne({ _id: 'session:abc' as never, v: 1 }));
      expect(insert.message).toMatch(/24 character hex string/);
      expect((insert as { code?: unknown }).code).toBe(11000);
      expect((insert as { keyPattern?: unknown }).keyPattern).toBeUndefined();
      expect(isDuplicateIdError(insert)).toBe(false);
      const upsert = await rejection(collection.replaceOne({ _id: 'session:abc' as never }, { v: 1 }, { upsert: true }));
      expect(upsert.message).toMatch(/24 character hex string/);
      expect(await collection.countDocuments({})).toBe(0);
    });

    it('reports a real duplicate _id with keyPattern { _id: 1 } (ObjectId keys)', async () => {
      const collection = raw(collectionName('dup'));
      const _id = new ObjectId();
      await collection.insertOne({ _id });
      const duplicate = await rejection(collection.insertOne({ _id }));
      expect((duplicate as { keyPattern?: unknown }).keyPattern).toEqual({ _id: 1 });
      expect(isDuplicateIdError(duplicate)).toBe(true);
    });

    it('accepts a unique secondary index without enforcing it', async () => {
      const collection = raw(collectionName('unique'));
      await collection.createIndex({ u: 1 }, { unique: true }, undefined);
      await collection.insertOne({ u: 1 });
      await collection.insertOne({ u: 1 });
      expect(await collection.countDocuments({ u: 1 })).toBe(2);
    });

    it('keeps the writes of an aborted transaction', async () => {
      const client = clientFor(server().uri);
      const collection = client.db('flask_session').collection(collectionName('txn'));
      const session = client.startSession();
      try {
        session.startTransaction();
        await collection.insertOne({ t: 1 }, { session });
        await session.abortTransaction();
      } finally {
        await session.endSession();
      }
      expect(await collection.countDocuments({ t: 1 })).toBe(1);
    });
  });

  describe('MongoDBStore on CongoDB', () => {
    const storeOn = (collection: string, options: { createIndexes?: boolean; timeout?: number } = {}) =>
      new MongoDBStore({ client: clientFor(server().uri), collection, logger: quiet, ...options });

    it('reads an absent key as undefined; delete, touch and setIf of an absent key change nothing', async () => {
      const name = collectionName('absent');
      const store = storeOn(name);
      expect(await store.get('session:none')).toBeUndefined();
      await expect(store.delete('session:none')).resolves.toBeUndefined();
      await expect(store.touch('session:none', Date.now() + 60_000)).resolves.toBeUndefined();
      expect(await store.setIf('session:none', record(), 'v')).toBe(false);
      expect(await raw(name).countDocuments({})).toBe(0);
    });

    it('the first write creates the TTL index on expiresAt with expireAfterSeconds 0, once; createIndexes: false does not', async () => {
      const name = collectionName('ttl');
      const store = storeOn(name);
      // The write itself fails on CongoDB (string _id), after the index is made.
      await rejection(store.set('session:a', record()));
      await rejection(store.set('session:b', record()));
      const indexes = await raw(name).indexes();
      expect(indexes.filter((index) => index.name === TTL_INDEX.name)).toEqual([
        expect.objectContaining({ key: { expiresAt: 1 }, expireAfterSeconds: 0 }),
      ]);
      const without = collectionName('nottl');
      await rejection(storeOn(without, { createIndexes: false }).set('session:a', record()));
      expect((await raw(without).indexes()).map((index) => index.name)).not.toContain(TTL_INDEX.name);
    });

    it('a refused write is a StoreError naming the store, the action, the remedy and the server\'s reason', async () => {
      const store = storeOn(collectionName('refused'));
      const error = await rejection(store.set('session:a', record()));
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(/^\[sessionkit:mongodb\] write failed: .*24 character hex string.*Is MongoDB reachable .* collection "flask_session\.sessions_refused/);
    });

    it('create: an insert refused with 11000 that names no _id key is a failure, not a taken key', async () => {
      const name = collectionName('create');
      const error = await rejection(storeOn(name).create('session:a', record()));
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(/create failed: .*24 character hex string/);
    });

    it('deleteExpired removes every expired document in batches and keeps the live ones', async () => {
      const name = collectionName('sweep');
      const collection = raw(name);
      const past = new Date(Date.now() - 1000);
      const layout = (expiresAt: Date) => ({ _id: new ObjectId(), data: new Uint8Array([1]), expiresAt, version: 'v' });
      const expired = BATCH_SIZE + 37; // two batches
      await collection.insertMany(Array.from({ length: expired }, () => layout(past)));
      await collection.insertMany(Array.from({ length: 5 }, () => layout(new Date(Date.now() + 60_000))));
      const store = storeOn(name);
      expect(await store.deleteExpired()).toBe(expired);
      expect(await collection.countDocuments({})).toBe(5);
      expect(await store.deleteExpired()).toBe(0);
    });

    it('reads the layout from documents as the driver returns them: every byte, the Date, the version; anything else is not ours', async () => {
      const collection = raw(collectionName('layout'));
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      const expiresAt = Date.now() + 60_000;
      const ours = await collection.insertOne({ data: bytes, expiresAt: new Date(expiresAt), version: 'v1' });
      const document = (await collection.findOne({ _id: ours.insertedId }))!;
      expect(document.data).toBeInstanceOf(Binary); // the driver's default (promoteBuffers off)
      const read = fromDocument(document);
      expect(Array.isArray(read)).toBe(false);
      const { data, ...rest } = read as StoreRecord;
      expect(data).toBeInstanceOf(Uint8Array);
      expect(Array.from(data)).toEqual(Array.from(bytes));
      expect(rest).toEqual({ expiresAt, version: 'v1' });
      const foreign = await collection.insertOne({ val: 'flask', expiresAt: expiresAt / 1000 });
      expect(fromDocument((await collection.findOne({ _id: foreign.insertedId }))!)).toEqual(['data', 'expiresAt', 'version']);
    });

    it('a server that is down or frozen fails a read with a StoreError within the timeout; back, reads work again', async () => {
      const timeout = 1000;
      const store = storeOn(collectionName('outage'), { timeout });
      expect(await store.get('session:k')).toBeUndefined();
      await server().pause();
      try {
        const started = performance.now();
        const down = await rejection(store.get('session:k'));
        expect(down).toBeInstanceOf(StoreError);
        expect(down.message).toMatch(/^\[sessionkit:mongodb\] read (failed|did not answer)/);
        expect(performance.now() - started).toBeLessThan(timeout + 1000);
      } finally {
        await server().resume();
      }
      expect(await store.get('session:k')).toBeUndefined();
      await server().freeze();
      try {
        const started = performance.now();
        const frozen = await rejection(store.get('session:k'));
        expect(frozen.message).toMatch(/\[sessionkit:mongodb\] read (did not answer within 1000 ms|failed)/);
        expect(performance.now() - started).toBeLessThan(timeout + 1000);
      } finally {
        await server().thaw();
      }
      expect(await store.get('session:k')).toBeUndefined();
    }, 30_000);
  });
});

/**
 * The contract on a real MongoDB, when one is given (never on these machines: none can be
 * installed). Loopback only, like every test here. Without one, the same tests are
 * registered as skipped with the reason in their suite's title, so the run's skip count
 * shows what was not run instead of hiding it.
 */
const givenUri = process.env.SESSIONKIT_MONGODB_URI;
const realUri = givenUri && /^mongodb:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(givenUri) ? givenUri : undefined;
const NOT_RUN = 'no MongoDB server can be installed here and CongoDB refuses string _id; set SESSIONKIT_MONGODB_URI=mongodb://127.0.0.1:PORT to run them';
if (!realUri) process.stderr.write(`\n!!!!! NOT RUN: the mongodb store conformance and HTTP suites (${NOT_RUN}) !!!!!\n\n`);
const onRealMongoDB = realUri ? describe : describe.skip;
onRealMongoDB(realUri ? 'mongodb store on the MongoDB at SESSIONKIT_MONGODB_URI' : `mongodb store on a real MongoDB (SKIPPED: ${NOT_RUN})`, () => {
  const uri = () => {
    if (!realUri) throw new Error('SESSIONKIT_MONGODB_URI names no MongoDB on loopback');
    return realUri;
  };
  const fixture = async () => ({ store: new MongoDBStore({ client: clientFor(uri()), collection: collectionName('real') }) });
  describeStore('mongodb', fixture, ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'getExpired'], {
    plantForeignValue: async (key, store) => {
      if (!(store instanceof MongoDBStore)) throw new Error('the mongodb fixture builds MongoDBStores');
      await clientFor(uri()).db(store.db).collection(store.collectionName).insertOne({ _id: key as never, val: 'flask' });
    },
  });
  describeSessionsOverHttp('mongodb', fixture);
});
