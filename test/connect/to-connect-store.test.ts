/**
 * toConnectStore: sessionkit stores (memory, SQLite through the SQL store, and Redis against
 * a real redis-server) under express-session itself, over real HTTP. A counter survives a restart (a second app on the
 * same store sees the session), the stored record is express-session's JSON with the
 * cookie's expiry, a read-only request touches only the expiry, logout removes the record,
 * and a record that is not JSON reads as no session with one warning.
 */
import Database from 'better-sqlite3';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { describe, expect, it, vi } from 'vitest';
import { toConnectStore } from '../../src/connect/index.js';
import type { ConnectSession } from '../../src/connect/connect-store.js';
import { unsignConnectCookie } from '../../src/connect/signature.js';
import type { Store } from '../../src/core/store.js';
import { handleOf } from '../../src/core/handle.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { sqlStore } from '../../src/stores/sql/index.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';
import { sleep } from './helpers.js';

const SECRET = 'express-session-secret';

function counterApp(store: Store): express.Express {
  const app = express();
  app.use(session({ secret: SECRET, store: toConnectStore(store, { expressSession: session }), resave: false, saveUninitialized: false, cookie: { maxAge: 60_000 } }));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  app.get('/login/:user', (req, res, next) => {
    req.session.regenerate((error: unknown) => {
      if (error) {
        next(error);
        return;
      }
      data(req).user = req.params.user;
      data(req).count = 0;
      res.send('ok');
    });
  });
  app.get('/count', (req, res) => {
    if (typeof data(req).user !== 'string') {
      res.send('anonymous');
      return;
    }
    data(req).count = Number(data(req).count) + 1;
    res.send(`${String(data(req).user)}:${String(data(req).count)}`);
  });
  app.get('/whoami', (req, res) => void res.send(typeof data(req).user === 'string' ? data(req).user : 'anonymous'));
  app.get('/logout', (req, res, next) => {
    req.session.destroy((error: unknown) => {
      if (error) {
        next(error);
        return;
      }
      res.send('bye');
    });
  });
  return app;
}

/** The express-session id in a jar's connect.sid. */
const sidOf = (jar: CookieJar) => unsignConnectCookie(jar.cookies.get('connect.sid') ?? '', [SECRET])!;
const json = (data: Uint8Array | undefined) => (data ? (JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>) : undefined);

function describeUnderExpressSession(title: string, makeStore: () => Promise<{ store: Store; close?: () => Promise<void> }>) {
  describe(`toConnectStore(${title}) under express-session`, () => {
    it('a logged-in counter survives a restart: a second app on the same store sees the session', async () => {
      const { store, close } = await makeStore();
      let first: TestServer | undefined;
      let second: TestServer | undefined;
      try {
        first = await listen(counterApp(store));
        const jar = new CookieJar();
        expect(await (await jar.fetch(`${first.url}/login/alice`)).text()).toBe('ok');
        expect(await (await jar.fetch(`${first.url}/count`)).text()).toBe('alice:1');
        expect(await (await jar.fetch(`${first.url}/count`)).text()).toBe('alice:2');
        await first.close();
        first = undefined;
        second = await listen(counterApp(store));
        expect(await (await jar.fetch(`${second.url}/count`)).text()).toBe('alice:3');
        expect(await (await new CookieJar().fetch(`${second.url}/count`)).text()).toBe('anonymous');
      } finally {
        await first?.close();
        await second?.close();
        await close?.();
      }
    });

    it("stores express-session's session as JSON under sess:<sid>, expiring with its cookie; logout removes it", async () => {
      const { store, close } = await makeStore();
      const server = await listen(counterApp(store));
      try {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/login/bob`);
        const key = `sess:${sidOf(jar)}`;
        const record = await store.get(key);
        const stored = json(record?.data);
        expect(stored).toMatchObject({ user: 'bob', count: 0, cookie: { originalMaxAge: 60_000 } });
        const cookie = stored!.cookie as { expires: string };
        // Generous bounds: a loaded two-core machine can take seconds between the write and this read.
        expect(Math.abs(record!.expiresAt - new Date(cookie.expires).getTime())).toBeLessThanOrEqual(5000);
        expect(record!.expiresAt - Date.now()).toBeGreaterThan(30_000);
        expect(await (await jar.fetch(`${server.url}/logout`)).text()).toBe('bye');
        expect(await store.get(key)).toBeUndefined();
      } finally {
        await server.close();
        await close?.();
      }
    });

    it("an unmodified request (express-session's touch) moves the expiry and the stored cookie.expires, never the data", async () => {
      const { store, close } = await makeStore();
      const server = await listen(counterApp(store));
      try {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/login/carol`);
        const key = `sess:${sidOf(jar)}`;
        const before = (await store.get(key))!;
        await sleep(1100);
        expect(await (await jar.fetch(`${server.url}/whoami`)).text()).toBe('carol');
        const after = (await store.get(key))!;
        expect(after.expiresAt - before.expiresAt).toBeGreaterThanOrEqual(1000);
        const [was, is] = [json(before.data)!, json(after.data)!];
        expect({ ...is, cookie: undefined }).toEqual({ ...was, cookie: undefined });
        const expires = new Date((is.cookie as { expires: string }).expires).getTime();
        expect(expires - new Date((was.cookie as { expires: string }).expires).getTime()).toBeGreaterThanOrEqual(1000);
        expect(Math.abs(after.expiresAt - expires)).toBeLessThanOrEqual(1000);
      } finally {
        await server.close();
        await close?.();
      }
    });

    it('without a callback every method returns a promise (connect-redis 9 style)', async () => {
      const { store, close } = await makeStore();
      try {
        const adapted = toConnectStore(store);
        const session = { foo: 'bar', cookie: { originalMaxAge: null } };
        await expect(adapted.set('123', session)).resolves.toBeUndefined();
        expect(await adapted.get('123')).toEqual(session);
        expect(await adapted.get('no-such-session')).toBeNull();
        const expires = new Date(Date.now() + 90_000).toISOString();
        await adapted.touch('123', { cookie: { originalMaxAge: null, expires } });
        expect(await adapted.get('123')).toEqual({ foo: 'bar', cookie: { originalMaxAge: null, expires } });
        expect(Math.abs((await store.get('sess:123'))!.expiresAt - new Date(expires).getTime())).toBeLessThanOrEqual(1000);
        await adapted.destroy('123');
        expect(await adapted.get('123')).toBeNull();
      } finally {
        await close?.();
      }
    });

    it('a cookie with maxAge and no expires expires after maxAge; a touch with a longer maxAge keeps it', async () => {
      const { store, close } = await makeStore();
      try {
        const adapted = toConnectStore(store);
        await adapted.set('short', { cookie: { maxAge: 300 } });
        await adapted.set('touched', { cookie: { maxAge: 300 } });
        expect(await adapted.get('short')).toEqual({ cookie: { maxAge: 300 } });
        expect((await store.get('sess:short'))!.expiresAt - Date.now()).toBeLessThanOrEqual(300);
        await adapted.touch('touched', { cookie: { maxAge: 60_000 } });
        await sleep(600);
        expect(await adapted.get('short')).toBeNull();
        expect(await adapted.get('touched')).toEqual({ cookie: { maxAge: 60_000 } });
      } finally {
        await close?.();
      }
    });

    it("express-session's req.session.touch() moves the stored cookie.expires", async () => {
      const { store, close } = await makeStore();
      const app = express();
      app.use(session({ secret: SECRET, store: toConnectStore(store, { expressSession: session }), resave: false, cookie: { maxAge: 60_000 } }));
      app.get('/', (req, res) => {
        (req.session as unknown as Record<string, unknown>).hit = true;
        req.session.touch();
        res.end();
      });
      const server = await listen(app);
      try {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/`);
        const adapted = toConnectStore(store);
        const expiresOf = async () => new Date((await adapted.get(sidOf(jar)))!.cookie!.expires!).getTime();
        const first = await expiresOf();
        await sleep(100);
        await jar.fetch(`${server.url}/`);
        expect(await expiresOf()).toBeGreaterThan(first);
      } finally {
        await server.close();
        await close?.();
      }
    });

    it('a record that is not an express-session session reads as none, with one warning', async () => {
      const { store, close } = await makeStore();
      const server = await listen(counterApp(store));
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/login/dave`);
        const key = `sess:${sidOf(jar)}`;
        await store.set(key, { data: Uint8Array.from([0x81, 0xa1, 0x61, 0x01]), expiresAt: Date.now() + 60_000 }); // msgpack, not JSON
        const response = await jar.fetch(`${server.url}/whoami`);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe('anonymous');
        // Named by prefix and handle, never by the session id (a usable cookie in a log).
        expect(warn.mock.calls.map((args) => args.join(' '))).toEqual([expect.stringContaining(`sess:<handle ${handleOf(sidOf(jar))}>`)]);
        expect(warn.mock.calls.join(' ')).not.toContain(sidOf(jar));
      } finally {
        warn.mockRestore();
        await server.close();
        await close?.();
      }
    });

    it('offers get, set, destroy and touch; all, ids, length and clear only where the store can list its records', async () => {
      const { store, close } = await makeStore();
      try {
        const adapted = toConnectStore(store) as unknown as Record<string, unknown>;
        for (const method of ['get', 'set', 'destroy', 'touch']) expect(typeof adapted[method], method).toBe('function');
        const lists = typeof store.keys === 'function';
        for (const method of ['all', 'ids', 'length', 'clear']) expect(typeof adapted[method], method).toBe(lists ? 'function' : 'undefined');
        expect(adapted).toBeInstanceOf(session.Store);
      } finally {
        await close?.();
      }
    });
  });
}

describeUnderExpressSession('memory', async () => ({ store: new MemoryStore() }));
describeUnderExpressSession('sql:sqlite', async () => ({ store: sqlStore({ client: new Database(':memory:') }) }));

describeWithServer('redis for toConnectStore', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  describeUnderExpressSession('redis', async () => {
    const client = createClient({ url: redis().url });
    client.on('error', () => {});
    await client.connect();
    return { store: new RedisStore({ client }), close: async () => { await client.close(); } };
  });
});

const LISTING_STORES: [string, () => Store][] = [
  ['memory', () => new MemoryStore()],
  // The SQL table store of every dialect lists by the same code (src/stores/sql/table-store.ts).
  ['sql:sqlite', () => sqlStore({ client: new Database(':memory:') })],
];

describe.each(LISTING_STORES)('toConnectStore listing (a store with keys: %s)', (_, makeStore) => {
  it('all, ids, length and clear see the live sessions under its prefix only, with callbacks or promises', async () => {
    const store = makeStore();
    await store.set('other:1', { data: new Uint8Array([1]), expiresAt: Date.now() + 60_000 });
    const adapted = toConnectStore(store);
    expect(await adapted.length!()).toBe(0);
    const expires = new Date(Date.now() + 60_000).toISOString();
    await adapted.set('123', { foo: 'bar', cookie: { originalMaxAge: null } } as never);
    await adapted.set('456', { cookie: { originalMaxAge: null, expires } });
    await adapted.set('short', { cookie: { maxAge: 100 } });
    await sleep(300);
    expect(await adapted.length!()).toBe(2);
    expect((await adapted.ids!()).sort()).toEqual(['123', '456']);
    const all = (await adapted.all!()).sort((a, b) => (a.id > b.id ? 1 : -1));
    expect(all).toEqual([
      { id: '123', foo: 'bar', cookie: { originalMaxAge: null } },
      { id: '456', cookie: { originalMaxAge: null, expires } },
    ]);
    const counted = await new Promise((resolve) => adapted.length!((error, n) => resolve(error ?? n)));
    expect(counted).toBe(2);
    await adapted.destroy('456');
    expect(await adapted.length!()).toBe(1);
    await adapted.clear!();
    expect(await adapted.length!()).toBe(0);
    expect(await store.get('other:1')).toBeDefined();
  });
});

describe('toConnectStore on a store without touch or compare-and-set', () => {
  it('still touches: the record is rewritten with the new cookie and expiry', async () => {
    const memory = new MemoryStore();
    const plain: Store = { name: 'plain', get: (key) => memory.get(key), set: (key, record) => memory.set(key, record), delete: (key) => memory.delete(key) };
    const adapted = toConnectStore(plain);
    await adapted.set('a', { cookie: { maxAge: 1000 }, user: 'x' } as never);
    await adapted.touch('a', { cookie: { maxAge: 60_000 } });
    expect(await adapted.get('a')).toEqual({ cookie: { maxAge: 60_000 }, user: 'x' });
    expect((await memory.get('sess:a'))!.expiresAt - Date.now()).toBeGreaterThan(50_000);
  });
});

describe('toConnectStore: maxSessionBytes bounds what is parsed and written', () => {
  it('a planted record over the ceiling is no session, with one warning, and is never parsed; a session over it is refused on write', async () => {
    const store = new MemoryStore();
    const warn = vi.fn();
    const connect = toConnectStore(store, { expressSession: session, maxSessionBytes: 1000, logger: { warn } });
    const cookie = { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString() };
    // A JSON object that would parse: only its size keeps it out.
    const planted = Buffer.from(JSON.stringify({ cookie, pad: 'x'.repeat(2000) }));
    await store.set('sess:planted', { data: planted, expiresAt: Date.now() + 60_000 });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(await connect.get('planted')).toBeNull();
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/a record of 20\d\d bytes, over maxSessionBytes \(1000\).*Raise toConnectStore\(\)'s maxSessionBytes/);
    const big: ConnectSession & { pad: string } = { cookie, pad: 'y'.repeat(2000) };
    await expect(connect.set('big', big)).rejects.toThrow(/over maxSessionBytes \(1000\); it was not saved/);
    expect(await store.get('sess:big')).toBeUndefined();
    const small: ConnectSession & { n: number } = { cookie, n: 1 };
    await connect.set('small', small);
    expect(await connect.get('small')).toMatchObject({ n: 1 });
  });

  it('refuses a ceiling that is not a positive integer, at start-up', () => {
    expect(() => toConnectStore(new MemoryStore(), { expressSession: session, maxSessionBytes: 0 })).toThrow(/maxSessionBytes must be a positive integer/);
  });
});
