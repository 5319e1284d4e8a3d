import { primitives } from '#crypto';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import type { Codec } from '../../src/codec/codec.js';
import { multiSession } from '../../src/compose/multi-session.js';
import { persistCommit } from '../../src/core/commit.js';
import { handleOf } from '../../src/core/handle.js';
import type { Store, StoreRecord } from '../../src/core/store.js';
import { sessionkit } from '../../src/adapters/express.js';
import { EncryptedStore } from '../../src/encryption/encrypted-store.js';
import { RecordSealer } from '../../src/encryption/record-sealer.js';
import { SessionEngine, type SessionOptions } from '../../src/index.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { createSealKeys, seal } from '../../src/stores/cookie/seal.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { requestsOf } from '../helpers/engine-request.js';
import { encrypted, ENCRYPT_SECRET_A as A, ENCRYPT_SECRET_B as B } from '../helpers/encrypted.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';

type Data = Record<string, unknown>;
const KEY_ID = { from: 1, to: 5 };
const text = (value: string) => new TextEncoder().encode(value);
const inAMinute = () => Date.now() + 60_000;
const keyIdOf = (record: StoreRecord | undefined) => Buffer.from(record!.data.subarray(KEY_ID.from, KEY_ID.to)).toString('hex');
const contains = (bytes: Uint8Array, part: string) => Buffer.from(bytes).includes(Buffer.from(part));
const keysOf = async (store: Store, prefix: string) => {
  const keys: string[] = [];
  for await (const key of store.keys!(prefix)) keys.push(key);
  return keys;
};
const id = () => `id-${Math.random().toString(36).slice(2)}`;

function warningsLog() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (message: string) => warnings.push(message), info: () => {} } };
}

describe('encrypted records: the store wrapper', () => {
  it('stores sealed bytes (version byte, key id, no plaintext) and reads the plaintext back', async () => {
    const inner = new MemoryStore({ keepDecoded: false });
    const store = encrypted(inner);
    await store.set('session:a', { data: text('user=ada;card=4111'), expiresAt: inAMinute() });
    const raw = await inner.get('session:a');
    expect(raw!.data[0]).toBe(0x01);
    expect(contains(raw!.data, 'ada')).toBe(false);
    expect(raw!.data.length).toBe('user=ada;card=4111'.length + 1 + 4 + 12 + 16);
    expect(new TextDecoder().decode((await store.get('session:a'))!.data)).toBe('user=ada;card=4111');
  });

  it('a record moved to another session\'s key does not open there: no session, one warning naming the handle, never the id', async () => {
    const { warnings, logger } = warningsLog();
    const inner = new MemoryStore();
    const store = encrypted(inner, { logger });
    const [from, to] = [id(), id()];
    await store.set(`session:${from}`, { data: text('user=admin'), expiresAt: inAMinute() });
    await inner.set(`session:${to}`, (await inner.get(`session:${from}`))!);
    expect(await store.get(`session:${to}`)).toBeUndefined();
    if (store.getSync) expect(store.getSync(`session:${to}`)).toBeUndefined();
    expect(warnings).toHaveLength(store.getSync ? 2 : 1); // one per read
    expect(warnings[0]).toContain(`memory store: session:<handle ${handleOf(to)}>`);
    expect(warnings[0]).toContain('moved from another session');
    expect(warnings.join()).not.toContain(to);
    expect(await store.get(`session:${from}`)).toBeDefined();
  });

  it('rotation: the first secret seals, an old one still opens, and the next write seals with the new key', async () => {
    const inner = new MemoryStore();
    const before = encrypted(inner, { secrets: [A] });
    const after = encrypted(inner, { secrets: [B, A] });
    await before.set('session:old', { data: text('sealed with A'), expiresAt: inAMinute() });
    await encrypted(new MemoryStore(), { secrets: [B] }).set('probe', { data: text('x'), expiresAt: inAMinute() });
    const idOfA = keyIdOf(await inner.get('session:old'));
    await after.set('session:new', { data: text('sealed with B'), expiresAt: inAMinute() });
    const idOfB = keyIdOf(await inner.get('session:new'));
    expect(idOfB).not.toBe(idOfA);

    const opened = await after.get('session:old');
    expect(new TextDecoder().decode(opened!.data)).toBe('sealed with A');
    expect(await after.setIf!('session:old', { data: text('written again'), expiresAt: inAMinute() }, opened!.version!)).toBe(true);
    expect(keyIdOf(await inner.get('session:old'))).toBe(idOfB);
    expect(new TextDecoder().decode((await after.get('session:old'))!.data)).toBe('written again');
  });

  it('a secret taken off the list: its records no longer open, with a warning that says so', async () => {
    const { warnings, logger } = warningsLog();
    const inner = new MemoryStore();
    await encrypted(inner, { secrets: [A] }).set('session:x', { data: text('old'), expiresAt: inAMinute() });
    expect(await encrypted(inner, { secrets: [B], logger }).get('session:x')).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining("not among encrypt's secrets")]);
  });

  it('every single-byte change, truncation and plaintext plant reads as no session, one warning each', async () => {
    const { warnings, logger } = warningsLog();
    const inner = new MemoryStore({ keepDecoded: false });
    const store = encrypted(inner, { logger });
    await store.set('session:t', { data: text('tamper with me'), expiresAt: inAMinute() });
    const sealed = (await inner.get('session:t'))!.data;
    const variants: Uint8Array[] = [];
    for (let index = 0; index < sealed.length; index++) {
      const flipped = new Uint8Array(sealed);
      flipped[index]! ^= 0x01;
      variants.push(flipped);
    }
    for (let length = 0; length < sealed.length; length++) variants.push(sealed.slice(0, length));
    variants.push(msgpackCodec.encode({ p: true, d: { user: 'admin' } }));
    for (const data of variants) {
      await inner.set('session:t', { data, expiresAt: inAMinute() });
      expect(await store.get('session:t')).toBeUndefined();
    }
    expect(warnings).toHaveLength(variants.length);
    expect(warnings.at(-1)).toContain('not sealed');
  });

  it('readPlaintext: a record from before encrypt was on is read as it is, and sealed on its next write', async () => {
    const { warnings, logger } = warningsLog();
    const inner = new MemoryStore();
    const engineOf = (encrypt: SessionOptions['encrypt']) => new SessionEngine<Data>({ store: inner, secret: A, logger, encrypt });
    const plain = requestsOf(engineOf(undefined));
    const { cookie } = await plain(undefined, (session) => (session.user = 'ada'));
    const switching = requestsOf(engineOf({ readPlaintext: true }));
    const read = await switching(cookie, (session) => (session.visits = 1));
    expect(read.session.user).toBe('ada');
    const key = `session:${read.session.id}`;
    expect((await inner.get(key))!.data[0]).toBe(0x01);
    expect(contains((await inner.get(key))!.data, 'ada')).toBe(false);
    // Once off again, the re-sealed record opens and a plaintext one does not.
    const strict = requestsOf(engineOf(true));
    expect((await strict(cookie)).session.user).toBe('ada');
    expect(warnings).toEqual([]);
    const { cookie: other } = await plain(undefined, (session) => (session.user = 'grace'));
    expect((await strict(other)).session.isNew).toBe(true);
    expect(warnings).toEqual([expect.stringContaining('not sealed')]);
  });

  it('the record key is not the sealed cookie key: one secret derives two unrelated keys', async () => {
    const inner = new MemoryStore();
    await encrypted(inner, { secrets: [A] }).set('k', { data: text('x'), expiresAt: inAMinute() });
    const cookie = Buffer.from(await seal(await createSealKeys([A]), text('x'), inAMinute()), 'base64url');
    expect(Buffer.from(cookie.subarray(KEY_ID.from, KEY_ID.to)).toString('hex')).not.toBe(keyIdOf(await inner.get('k')));
  });

  it('forwards exactly the capabilities of the store it wraps, the synchronous ones only with synchronous crypto', () => {
    const minimal: Store = { name: 'minimal', get: async () => undefined, set: async () => undefined, delete: async () => {} };
    const wrapped = encrypted(minimal);
    for (const capability of ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'keys', 'getSync', 'createSync', 'setIfSync'] as const) {
      expect(typeof wrapped[capability], capability).toBe('undefined');
    }
    const memory = encrypted(new MemoryStore());
    expect(typeof memory.getSync).toBe(new RecordSealer([A], false).synchronous ? 'function' : 'undefined');
    expect(typeof memory.createSync).toBe(typeof memory.getSync);
    expect(memory.name).toBe('memory');
  });
});

describe('encrypt: the option', () => {
  const store = () => new MemoryStore();
  const engine = (options: SessionOptions) => new SessionEngine<Data>({ store: store(), logger: warningsLog().logger, ...options });

  it('turned on, the engine works on the store wrapped; off, on the store itself', async () => {
    const memory = store();
    expect(new SessionEngine({ store: memory, secret: A }).store).toBe(memory);
    expect(new SessionEngine({ store: memory, secret: A, encrypt: false }).store).toBe(memory);
    expect(new SessionEngine({ store: memory, secret: A, encrypt: true }).store).toBeInstanceOf(EncryptedStore);
    const byType = new SessionEngine({ type: 'memory', encrypt: { secret: B } });
    await byType.ready;
    expect(byType.store).toBeInstanceOf(EncryptedStore);
  });

  it('refuses at start-up what cannot work, saying what to change and never showing a secret', () => {
    const refused: [SessionOptions, RegExp][] = [
      [{ encrypt: true }, /set the engine's "secret", or give encrypt: \{ secret \}/],
      [{ secret: 'sixteen-chars-ok-but-short', encrypt: true }, /the engine's "secret": sealing secret 1 is 26 bytes; use at least 32/],
      [{ encrypt: { secret: [A, 'short'] } }, /"encrypt.secret": sealing secret 2 is 5 bytes/],
      [{ encrypt: { secret: [A, B, A] } }, /listed twice/],
      [{ encrypt: { secret: [] } }, /needs secrets/],
      [{ encrypt: { secret: [A, 42] as unknown as string[] } }, /every entry must be a string/],
      [{ encrypt: { secret: A, readPlaintext: 'yes' as unknown as boolean } }, /readPlaintext must be true or false/],
      [{ encrypt: { secret: A, key: A } as never }, /unknown encrypt option "key"/],
      [{ encrypt: 'on' as never }, /must be true, false or \{ secret, readPlaintext \}, got a string/],
      [{ store: cookieStore({ secret: A }), encrypt: true, secret: A }, /cookieStore\(\)\) is encrypted already. Remove "encrypt"/],
    ];
    for (const [options, message] of refused) {
      expect(() => engine(options), JSON.stringify(options)).toThrow(message);
      try {
        engine(options);
      } catch (error) {
        expect((error as Error).message).not.toContain(A);
      }
    }
  });

  it('every record the engine keeps is sealed: sessions, the user index (it holds session ids) and lock records', async () => {
    const memory = new MemoryStore({ keepDecoded: false });
    const engine = new SessionEngine<Data>({ store: memory, secret: A, encrypt: true, userField: 'user', lock: true, logger: warningsLog().logger });
    const session = await engine.load(undefined);
    session.user = 'ada';
    const pending = engine.commit(session);
    await persistCommit(pending);
    const locked = await engine.load(pending.setCookies[0]!.split(';')[0]);
    const keys = await keysOf(memory, '');
    expect(keys.length).toBeGreaterThanOrEqual(3); // the session, the user's index, the lock
    for (const key of keys) {
      const raw = (await memory.get(key))!.data;
      expect(raw[0], key).toBe(0x01);
      expect(contains(raw, session.id), key).toBe(false);
    }
    await engine.finish(locked);
    expect(await engine.listSessions('ada')).toEqual([expect.objectContaining({ handle: handleOf(session.id) })]);
  });

  it('multiSession: an entry with encrypt seals its records, beside a sealed cookie entry', async () => {
    const memory = new MemoryStore();
    const manager = multiSession<Data>({
      logger: warningsLog().logger,
      sessions: [
        { cookie: { name: 'prefs' }, store: cookieStore({ secret: A }), fields: ['theme'] },
        { cookie: { name: 'session' }, store: memory, secret: B, encrypt: true, fields: 'auto' },
      ],
    });
    const app = express();
    app.use(sessionkit(manager));
    app.get('/set', (req, res) => {
      Object.assign(req.session, { theme: 'dark', user: 'ada-lovelace' });
      res.send('ok');
    });
    app.get('/get', (req, res) => void res.json(req.session));
    const server = await listen(app);
    try {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set`);
      expect(await (await jar.fetch(`${server.url}/get`)).json()).toMatchObject({ theme: 'dark', user: 'ada-lovelace' });
      const [key] = await keysOf(memory, 'session:');
      expect(contains((await memory.get(key!))!.data, 'ada-lovelace')).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('encrypt over HTTP', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a tampered record is a fresh session with one warning, never a 500', async () => {
    const { warnings, logger } = warningsLog();
    const memory = new MemoryStore();
    const app = express();
    app.use(sessionkit({ store: memory, secret: A, encrypt: true, logger }));
    app.get('/set/:value', (req, res) => {
      (req.session as unknown as Data).value = req.params.value;
      res.send('ok');
    });
    app.get('/get', (req, res) => void res.send((req.session as unknown as { value?: string }).value ?? 'not set'));
    server = await listen(app);
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/secret-value`);
    expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('secret-value');
    const [key] = await keysOf(memory, 'session:');
    const stored = (await memory.get(key!))!;
    const tampered = new Uint8Array(stored.data);
    tampered[tampered.length - 1]! ^= 0x80;
    await memory.set(key!, { data: tampered, expiresAt: stored.expiresAt });
    const response = await jar.fetch(`${server.url}/get`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('not set');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`session:<handle ${handleOf(key!.slice('session:'.length))}>`);
    expect(warnings[0]).not.toContain(key!.slice('session:'.length));
  });
});

/** msgpack, counting its decodes: whether a read decoded the record. */
function countingCodec(): Codec & { decodes: number; decodedBytes: number } {
  const codec = {
    ...msgpackCodec,
    name: 'counted msgpack',
    decodes: 0,
    decodedBytes: 0,
    decode(bytes: Uint8Array) {
      codec.decodes++;
      codec.decodedBytes += bytes.length;
      return msgpackCodec.decode(bytes);
    },
  };
  return codec;
}

describe('encrypt with the memo and lazy fields', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('the memory store\'s memo: a record is opened and decoded on its first reads only, and a write leaves it kept as written', async () => {
    const opens = vi.spyOn(RecordSealer.prototype, 'open');
    const codec = countingCodec();
    const memory = new MemoryStore();
    const engine = new SessionEngine<Data>({ store: memory, secret: A, encrypt: true, serializer: codec, logger: warningsLog().logger });
    const request = requestsOf(engine);
    const { cookie } = await request(undefined, (session) => Object.assign(session, { name: 'ada', cart: ['apple'] }));
    for (let read = 0; read < 5; read++) expect((await request(cookie)).session.name).toBe('ada');
    expect(codec.decodes).toBe(2);
    expect(opens).toHaveBeenCalledTimes(0); // the write kept the bytes it sealed
    const session = await engine.load(cookie);
    (session.cart as string[]).push('bread');
    await persistCommit(engine.commit(session));
    for (let read = 0; read < 5; read++) expect((await engine.load(cookie)).cart).toEqual(['apple', 'bread']);
    // Kept as written only where the engine writes at once (node:crypto's synchronous sealing);
    // with Web Crypto, decoded again on the two reads after the write, but still not opened.
    expect(codec.decodes).toBe(primitives.synchronous ? 2 : 4);
    expect(opens).toHaveBeenCalledTimes(0);
  });

  it('the memo is of the bytes it was made from: a record replaced in the store is opened again', async () => {
    const { warnings, logger } = warningsLog();
    const memory = new MemoryStore();
    const engine = new SessionEngine<Data>({ store: memory, secret: A, encrypt: true, logger });
    const request = requestsOf(engine);
    const { cookie, session } = await request(undefined, (s) => (s.name = 'ada'));
    for (let read = 0; read < 3; read++) await request(cookie);
    const key = `session:${session.id}`;
    const stored = (await memory.get(key))!;
    await memory.set(key, { data: stored.data.slice(0, -1), expiresAt: stored.expiresAt });
    expect((await request(cookie)).session.isNew).toBe(true);
    expect(warnings).toHaveLength(1);
  });

  it('lazy fields: a big session is opened whole, but a request that reads a small field decodes a small part of it', async () => {
    const codec = countingCodec();
    const memory = new MemoryStore({ keepDecoded: false });
    const engine = new SessionEngine<Data>({ store: memory, secret: A, encrypt: true, serializer: codec, logger: warningsLog().logger });
    const request = requestsOf(engine);
    const cart = Array.from({ length: 300 }, (_, i) => ({ sku: `item-${i}`, qty: i % 7, tags: ['a', 'b'] }));
    const history = Array.from({ length: 200 }, (_, i) => `page-${i}-${'x'.repeat(20)}`);
    const { cookie, session } = await request(undefined, (s) => Object.assign(s, { name: 'ada', cart, history }));
    const size = (await memory.get(`session:${session.id}`))!.data.length;
    expect(size).toBeGreaterThan(8000);
    codec.decodedBytes = 0;
    await request(cookie, (s) => expect(s.name).toBe('ada'));
    expect(codec.decodedBytes).toBeLessThan(size / 10);
    await request(cookie, (s) => (s.name = 'grace'));
    await request(cookie, (s) => {
      expect(s.name).toBe('grace');
      expect(s.cart).toEqual(cart);
    });
  });
});
