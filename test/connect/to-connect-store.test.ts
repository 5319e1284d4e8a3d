/**
 * toConnectStore: sessionkit stores (memory, and Redis against a real redis-server) under
 * express-session itself, over real HTTP. A counter survives a restart (a second app on the
 * same store sees the session), the stored record is express-session's JSON with the
 * cookie's expiry, a read-only request touches only the expiry, logout removes the record,
 * and a record that is not JSON reads as no session with one warning.
 */
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { describe, expect, it, vi } from 'vitest';
import { toConnectStore } from '../../src/connect/index.js';
import { unsignConnectCookie } from '../../src/connect/signature.js';
import type { Store } from '../../src/core/store.js';
import { handleOf } from '../../src/core/user-index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis.js';
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
        expect(Math.abs(record!.expiresAt - new Date(cookie.expires).getTime())).toBeLessThanOrEqual(1000);
        expect(record!.expiresAt - Date.now()).toBeGreaterThan(55_000);
        expect(await (await jar.fetch(`${server.url}/logout`)).text()).toBe('bye');
        expect(await store.get(key)).toBeUndefined();
      } finally {
        await server.close();
        await close?.();
      }
    });

    it('an unmodified request moves only the expiry (touch), never the data', async () => {
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
        expect(Buffer.from(after.data).equals(Buffer.from(before.data))).toBe(true);
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

    it('offers get, set, destroy and touch, and no all, length or clear (a sessionkit store cannot list)', async () => {
      const { store, close } = await makeStore();
      try {
        const adapted = toConnectStore(store) as unknown as Record<string, unknown>;
        for (const method of ['get', 'set', 'destroy', 'touch']) expect(typeof adapted[method], method).toBe('function');
        for (const method of ['all', 'length', 'clear']) expect(adapted[method], method).toBeUndefined();
        expect(adapted).toBeInstanceOf(session.Store);
      } finally {
        await close?.();
      }
    });
  });
}

describeUnderExpressSession('memory', async () => ({ store: new MemoryStore() }));

describeWithServer('redis for toConnectStore', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  describeUnderExpressSession('redis', async () => {
    const client = createClient({ url: redis().url });
    client.on('error', () => {});
    await client.connect();
    return { store: new RedisStore({ client }), close: async () => { await client.close(); } };
  });
});

describe('toConnectStore without touch', () => {
  it('a store without touch gets no touch method (express-session then does not call one)', () => {
    const memory = new MemoryStore();
    const withoutTouch: Store = { name: 'no-touch', get: (key) => memory.get(key), set: (key, record) => memory.set(key, record), delete: (key) => memory.delete(key) };
    expect((toConnectStore(withoutTouch) as unknown as Record<string, unknown>).touch).toBeUndefined();
  });
});
