import { describe, expect, it } from 'vitest';
import { SessionEngine } from '../../src/index.js';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { CountingStore } from '../helpers/counting-store.js';
import { requestsOf } from '../helpers/engine-request.js';

const quiet = { warn: () => {}, info: () => {} };
type Data = Record<string, unknown>;

/** A session well over the size at which fields are left encoded: two big fields and small ones. */
const big = () => ({
  name: 'ada',
  cart: Array.from({ length: 300 }, (_, i) => ({ sku: `item-${i}`, qty: i % 7, tags: ['a', 'b'] })),
  history: Array.from({ length: 200 }, (_, i) => `page-${i}-${'x'.repeat(20)}`),
  count: 1,
});

async function withBigSession() {
  const store = new CountingStore();
  const warnings: string[] = [];
  const engine = new SessionEngine<Data>({ store, secret: 'lazy-fields-secret-0123456789abcdef', logger: { warn: (m) => warnings.push(m), info: () => {} } });
  const request = requestsOf(engine);
  const { cookie, session } = await request(undefined, (s) => Object.assign(s, big()));
  const stored = async () => (msgpackCodec.decode((await store.inner.get(`session:${session.id}`))!.data) as { d: Data }).d;
  store.reset();
  return { store, engine, request, cookie, stored, warnings };
}

describe('big sessions: fields nobody reads stay encoded', () => {
  it('an unchanged request writes nothing, read fields or not', async () => {
    const { store, request, cookie } = await withBigSession();
    await request(cookie);
    await request(cookie, (s) => (s.name as string).length);
    await request(cookie, (s) => (s.cart as unknown[]).length);
    expect(store.writes).toBe(0);
  });

  it('a change to a small field is saved, and the unread big fields come back intact', async () => {
    const { request, cookie, stored } = await withBigSession();
    await request(cookie, (s) => {
      s.count = 2;
    });
    expect(await stored()).toEqual({ ...big(), count: 2 });
  });

  it('a change deep inside a big field is saved: reading it made it a plain field', async () => {
    const { request, cookie, stored } = await withBigSession();
    await request(cookie, (s) => {
      (s.cart as Array<{ qty: number }>)[150]!.qty = 99;
    });
    expect(((await stored()).cart as Array<{ qty: number }>)[150]!.qty).toBe(99);
  });

  it('setting or deleting a big field without reading it is saved', async () => {
    const { request, cookie, stored } = await withBigSession();
    await request(cookie, (s) => {
      s.cart = [];
      delete s.history;
    });
    const data = await stored();
    expect(data.cart).toEqual([]);
    expect('history' in data).toBe(false);
  });

  it('looks like any session to the application: keys, spread, JSON, in', async () => {
    const { request, cookie } = await withBigSession();
    await request(cookie, (s) => {
      expect(Object.keys(s).sort()).toEqual(['cart', 'count', 'history', 'name']);
      expect('history' in s).toBe(true);
      expect(JSON.parse(JSON.stringify(s))).toEqual(big());
      // Object.entries: a spread also copies the session's symbol-keyed bookkeeping, which is not data.
      expect(Object.fromEntries(Object.entries({ ...s }))).toEqual(big());
    });
  });

  it('a stored big field named like a session control is still not loaded', async () => {
    const { store, engine, warnings } = await withBigSession();
    const session = await engine.load(undefined);
    Object.assign(session, big());
    const pending = engine.commit(session);
    await pending.persist();
    const key = `session:${session.id}`;
    const record = (await store.inner.get(key))!;
    const payload = msgpackCodec.decode(record.data) as { d: Data };
    payload.d.save = 'x'.repeat(1000);
    await store.inner.set(key, { data: msgpackCodec.encode(payload), expiresAt: record.expiresAt });
    const loaded = await engine.load(pending.setCookies[0]!.split(';')[0]);
    expect(typeof loaded.save).toBe('function');
    expect(warnings.some((w) => w.includes('save'))).toBe(true);
  });
});

describe('big sessions: what is decoded', () => {
  it('a request that reads only a small field decodes a small part of the record', async () => {
    let decodedBytes = 0;
    const counting = {
      ...msgpackCodec,
      name: 'counting-msgpack',
      decode: (bytes: Uint8Array) => {
        decodedBytes += bytes.length;
        return msgpackCodec.decode(bytes);
      },
    };
    const store = new CountingStore();
    const engine = new SessionEngine<Data>({ store, secret: 'lazy-fields-secret-0123456789abcdef', logger: quiet, serializer: counting });
    const request = requestsOf(engine);
    const { cookie, session } = await request(undefined, (s) => Object.assign(s, big()));
    const size = (await store.inner.get(`session:${session.id}`))!.data.length;
    decodedBytes = 0;
    await request(cookie, (s) => {
      expect(s.name).toBe('ada');
    });
    expect(size).toBeGreaterThan(8000);
    expect(decodedBytes).toBeLessThan(size / 10);
    decodedBytes = 0;
    await request(cookie, (s) => {
      expect((s.cart as unknown[]).length).toBe(300);
    });
    expect(decodedBytes).toBeGreaterThan(size / 2);
  });
});
