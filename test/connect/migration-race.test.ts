/**
 * The live migration's race (issue 24): requests of one browser that still carry only
 * express-session's cookie — several at once, or one just after another migrated the
 * session — all land in the one migrated session, with its data and its sessionkit cookie,
 * for the grace period; after it, the old cookie is an unknown one. On the memory store and
 * on a real redis-server.
 */
import { createRequire } from 'node:module';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { callbackToPromise, type ConnectCallback, type ConnectSession, type ConnectStore } from '../../src/connect/connect-store.js';
import { expressSessionMigration } from '../../src/connect/index.js';
import type { Store } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { listen, type TestServer } from '../helpers/http.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';
import { quiet, sleep } from './helpers.js';

const OLD_SECRET = 'keyboard cat';
const cookieSignature = createRequire(createRequire(import.meta.url).resolve('express-session'))('cookie-signature') as {
  sign(value: string, secret: string): string;
};

/** express-session's own MemoryStore, whose reads take `delayMs`: the old store of a real app, with a network's latency. */
function slowOldStore(delayMs: number): ConnectStore & { has(sid: string): Promise<boolean> } {
  const inner = new session.MemoryStore();
  return {
    get(sid: string, callback: ConnectCallback<ConnectSession | null>) {
      setTimeout(() => inner.get(sid, callback as never), delayMs);
    },
    set: (sid, data, callback) => inner.set(sid, data as never, callback),
    destroy: (sid, callback) => inner.destroy(sid, callback),
    has: async (sid) => (await callbackToPromise((cb) => inner.get(sid, cb))) != null,
  };
}

/** A session express-session wrote for `user`, and the Cookie header the browser sends for it. */
async function oldSession(oldStore: ConnectStore, user: string): Promise<{ sid: string; cookie: string }> {
  const sid = `old-${user}-${Math.random().toString(36).slice(2)}`;
  const data = { cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString(), httpOnly: true, path: '/' }, user };
  await callbackToPromise((cb) => oldStore.set(sid, data, cb));
  return { sid, cookie: `connect.sid=${encodeURIComponent(`s:${cookieSignature.sign(sid, OLD_SECRET)}`)}` };
}

function app(store: Store, oldStore: ConnectStore, grace?: number, hashIds?: boolean): express.Express {
  const server = express();
  server.use(
    sessionkit({
      store,
      secret: 'the-new-sessionkit-secret-0123456789',
      logger: quiet,
      migrate: expressSessionMigration({ secret: OLD_SECRET, store: oldStore, grace }),
      hashIds,
    }),
  );
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  server.get('/whoami', (req, res) => void res.send(typeof data(req).user === 'string' ? data(req).user : 'anonymous'));
  server.get('/visit/:page', (req, res) => {
    data(req)[req.params.page] = true;
    res.send('ok');
  });
  server.get('/data', (req, res) => void res.json(data(req)));
  return server;
}

/** The sessionkit cookie a response sets ("name=value"), and whether it clears connect.sid. */
function cookiesOf(response: Response): { session: string | undefined; clearsOld: boolean } {
  const lines = response.headers.getSetCookie();
  return {
    session: lines.find((line) => line.startsWith('session='))?.split(';')[0],
    clearsOld: lines.some((line) => line.startsWith('connect.sid=;')),
  };
}

function raceSuite(newStore: () => Store, storedKeys?: () => Promise<string[]>): void {
  const oldStore = slowOldStore(40);
  let server: TestServer;
  let store: Store;
  beforeAll(async () => {
    store = newStore();
    server = await listen(app(store, oldStore));
  });
  afterAll(() => server.close());

  it('requests racing the first migration all land in one migrated session, with its data and cookie', async () => {
    const { sid, cookie } = await oldSession(oldStore, 'alice');
    const responses = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((page) => fetch(`${server.url}/visit/${page}`, { headers: { cookie } })));
    const cookies = responses.map(cookiesOf);
    for (const response of responses) expect(response.status).toBe(200);
    const sessionCookie = cookies[0]!.session;
    expect(sessionCookie).toBeDefined();
    // Every response sets the same session cookie and makes the browser forget the old one.
    for (const each of cookies) expect(each).toEqual({ session: sessionCookie, clearsOld: true });
    expect(await oldStore.has(sid)).toBe(false);
    const data = (await (await fetch(`${server.url}/data`, { headers: { cookie: sessionCookie! } })).json()) as Record<string, unknown>;
    expect(data.user).toBe('alice');
    // Each request's own change landed in that session (concurrent writes: at least the last one; with a compare-and-set, all).
    expect(['a', 'b', 'c', 'd', 'e'].some((page) => data[page] === true)).toBe(true);
  });

  it('a request that comes after the migration finished, with only the old cookie, joins the migrated session', async () => {
    const { cookie } = await oldSession(oldStore, 'bob');
    const first = cookiesOf(await fetch(`${server.url}/visit/home`, { headers: { cookie } }));
    expect(first.session).toBeDefined();
    const late = await fetch(`${server.url}/whoami`, { headers: { cookie } });
    expect(await late.text()).toBe('bob');
    expect(cookiesOf(late)).toEqual({ session: first.session, clearsOld: true });
    expect(await (await fetch(`${server.url}/data`, { headers: { cookie: first.session! } })).json()).toEqual({ user: 'bob', home: true });
  });

  it('after the grace period the old cookie is an unknown one: a fresh anonymous session', async () => {
    const shortGrace = await listen(app(store, oldStore, 1_000));
    try {
      const { cookie } = await oldSession(oldStore, 'carol');
      expect(await (await fetch(`${shortGrace.url}/whoami`, { headers: { cookie } })).text()).toBe('carol');
      expect(await (await fetch(`${shortGrace.url}/whoami`, { headers: { cookie } })).text()).toBe('carol');
      await sleep(1_500);
      const after = await fetch(`${shortGrace.url}/whoami`, { headers: { cookie } });
      expect(await after.text()).toBe('anonymous');
    } finally {
      await shortGrace.close();
    }
  });

  it('grace 0 keeps no link: a late request is a fresh session', async () => {
    const noGrace = await listen(app(store, oldStore, 0));
    try {
      const { cookie } = await oldSession(oldStore, 'dave');
      expect(await (await fetch(`${noGrace.url}/whoami`, { headers: { cookie } })).text()).toBe('dave');
      expect(await (await fetch(`${noGrace.url}/whoami`, { headers: { cookie } })).text()).toBe('anonymous');
    } finally {
      await noGrace.close();
    }
  });

  if (storedKeys) {
    it('the link is stored under a hash of the old cookie: no stored key holds the old id', async () => {
      const { sid, cookie } = await oldSession(oldStore, 'erin');
      await fetch(`${server.url}/whoami`, { headers: { cookie } });
      const keys = await storedKeys();
      expect(keys.some((key) => key.startsWith('session:migrated.'))).toBe(true);
      expect(keys.some((key) => key.includes(sid))).toBe(false);
    });
  }
}

describe('migration race on the memory store', () => {
  raceSuite(() => new MemoryStore());
});

describeWithServer('migration race on redis', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    client = createClient({ url: redis().url });
    client.on('error', () => {});
    await client.connect();
  });
  afterAll(() => client.close());
  raceSuite(
    () => new RedisStore({ client, logger: quiet }),
    () => client.keys('*'),
  );
});

describe('migration with hashIds on the memory store', () => {
  it('a late request with the old cookie joins the migrated session, and no stored key or record holds its id', async () => {
    const store = new MemoryStore();
    const oldStore = slowOldStore(0);
    const server = await listen(app(store, oldStore, undefined, true));
    try {
      const { cookie } = await oldSession(oldStore, 'frank');
      const first = cookiesOf(await fetch(`${server.url}/visit/home`, { headers: { cookie } }));
      const late = await fetch(`${server.url}/whoami`, { headers: { cookie } });
      expect(await late.text()).toBe('frank');
      expect(cookiesOf(late).session).toBe(first.session);
      const id = first.session!.slice('session='.length).split('.')[0]!;
      const keys: string[] = [];
      for await (const key of store.keys('')) keys.push(key);
      expect(keys.some((key) => key.startsWith('session:migrated.'))).toBe(true);
      for (const key of keys) {
        expect(key).not.toContain(id);
        expect(Buffer.from((await store.get(key))!.data).toString("latin1"), key).not.toContain(id);
      }
    } finally {
      await server.close();
    }
  });
});

describe('expressSessionMigration grace option', () => {
  it('refuses a grace that is not 0 or more milliseconds', () => {
    const oldStore = slowOldStore(0);
    expect(() => expressSessionMigration({ secret: OLD_SECRET, store: oldStore, grace: -1 })).toThrow(/grace/);
    expect(() => expressSessionMigration({ secret: OLD_SECRET, store: oldStore, grace: Number.NaN })).toThrow(/grace/);
    expect(expressSessionMigration({ secret: OLD_SECRET, store: oldStore }).graceMs).toBe(60_000);
  });
});
