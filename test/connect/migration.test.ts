/**
 * expressSessionMigration end to end against a real redis-server: a client logs in on
 * Express + express-session + connect-redis; the application restarts on sessionkit with
 * `migrate`; the same client is still logged in under a sessionkit cookie, its connect.sid
 * is cleared and the old key is gone from Redis. Forged, unsigned and unknown old cookies
 * are ignored (a fresh session, status 200), and leave the old record alone.
 */
import { createRequire } from 'node:module';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { expressSessionMigration } from '../../src/connect/index.js';
import { signConnectValue, unsignConnectCookie } from '../../src/connect/signature.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';
import { quiet } from './helpers.js';

// express-session's own example secret: short, refused as sessionkit's secret, accepted by the migration, which only verifies with it.
const OLD_SECRET = 'keyboard cat';
/** The signing express-session itself uses: its own copy of cookie-signature. */
const cookieSignature = createRequire(createRequire(import.meta.url).resolve('express-session'))('cookie-signature') as {
  sign(value: string, secret: string): string;
};

type Client = ReturnType<typeof createClient>;

function expressSessionApp(store: ConnectRedisStore): express.Express {
  const app = express();
  app.use(session({ secret: OLD_SECRET, store, resave: false, saveUninitialized: false }));
  app.get('/login/:user', (req, res) => {
    (req.session as unknown as Record<string, unknown>).user = req.params.user;
    (req.session as unknown as Record<string, unknown>).cart = [1, 2];
    res.send('ok');
  });
  return app;
}

function sessionkitApp(client: Client, oldStore: ConnectRedisStore, secret: string | string[] = OLD_SECRET): express.Express {
  const app = express();
  app.use(
    sessionkit({
      store: new RedisStore({ client, logger: quiet }),
      secret: 'the-new-sessionkit-secret-0123456789',
      logger: quiet,
      migrate: expressSessionMigration({ secret, store: oldStore }),
    }),
  );
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  app.get('/whoami', (req, res) => void res.send(typeof data(req).user === 'string' ? data(req).user : 'anonymous'));
  app.get('/data', (req, res) => void res.json(data(req)));
  return app;
}

describeWithServer('express-session migration', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  let client: Client;
  let oldStore: ConnectRedisStore;
  let before: TestServer;
  let after: TestServer;
  beforeAll(async () => {
    client = createClient({ url: redis().url });
    client.on('error', () => {});
    await client.connect();
    oldStore = new ConnectRedisStore({ client });
    before = await listen(expressSessionApp(oldStore));
    after = await listen(sessionkitApp(client, oldStore));
  });
  afterAll(async () => {
    await before.close();
    await after.close();
    await client.close();
  });

  /** A client logged in on the express-session app: its jar and old session id. */
  async function loggedIn(user: string) {
    const jar = new CookieJar();
    expect(await (await jar.fetch(`${before.url}/login/${user}`)).text()).toBe('ok');
    const sid = unsignConnectCookie(jar.cookies.get('connect.sid')!, [OLD_SECRET])!;
    expect(sid).toBeTruthy();
    expect(await client.exists(`sess:${sid}`)).toBe(1);
    return { jar, sid };
  }

  it('the same client is still logged in on sessionkit; its old cookie is cleared and its old key gone', async () => {
    const { jar, sid } = await loggedIn('alice');
    const response = await jar.fetch(`${after.url}/whoami`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('alice');
    const setCookies = response.headers.getSetCookie();
    expect(setCookies.some((line) => line.startsWith('session='))).toBe(true);
    expect(setCookies).toContain('connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(jar.cookies.has('connect.sid')).toBe(false);
    expect(jar.cookies.has('session')).toBe(true);
    expect(await client.exists(`sess:${sid}`)).toBe(0);
    // From now on the sessionkit cookie alone carries the session, without express-session's cookie field.
    expect(await (await jar.fetch(`${after.url}/data`)).json()).toEqual({ user: 'alice', cart: [1, 2] });
  });

  it('a secret list verifies with any of its secrets (express-session rotation)', async () => {
    const rotated = await listen(sessionkitApp(client, oldStore, ['a-newer-secret', OLD_SECRET]));
    try {
      const { jar, sid } = await loggedIn('frank');
      expect(await (await jar.fetch(`${rotated.url}/whoami`)).text()).toBe('frank');
      expect(await client.exists(`sess:${sid}`)).toBe(0);
    } finally {
      await rotated.close();
    }
  });

  describe('old cookies that are ignored: a fresh session, no crash, the old record left alone', () => {
    const ignored = async (cookieValue: (sid: string) => string) => {
      const { sid } = await loggedIn('mallory-target');
      const response = await fetch(`${after.url}/whoami`, { headers: { cookie: `connect.sid=${encodeURIComponent(cookieValue(sid))}` } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('anonymous');
      expect(response.headers.getSetCookie().some((line) => line.startsWith('connect.sid='))).toBe(false);
      expect(await client.exists(`sess:${sid}`)).toBe(1);
    };
    it('forged: a live id signed with another secret', () => ignored((sid) => `s:${cookieSignature.sign(sid, 'not-the-secret')}`));
    it('forged: a live id with a tampered signature', () => ignored((sid) => `s:${signConnectValue(sid, OLD_SECRET).slice(0, -2)}xx`));
    it('unsigned: the bare live id', () => ignored((sid) => sid));
    it('unsigned: the live id with the s: prefix and no signature', () => ignored((sid) => `s:${sid}`));
    it('unknown: a correctly signed id that the old store does not hold', async () => {
      const response = await fetch(`${after.url}/whoami`, { headers: { cookie: `connect.sid=${encodeURIComponent(`s:${cookieSignature.sign('no-such-session', OLD_SECRET)}`)}` } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('anonymous');
    });
  });

  it("signs exactly as express-session's cookie-signature does", () => {
    for (const value of ['a', 'abc-DEF_123', 'x'.repeat(100), 'ключ']) {
      expect(signConnectValue(value, OLD_SECRET)).toBe(cookieSignature.sign(value, OLD_SECRET));
      expect(unsignConnectCookie(`s:${cookieSignature.sign(value, OLD_SECRET)}`, [OLD_SECRET])).toBe(value);
    }
  });
});

describe('expressSessionMigration options', () => {
  const store = new ConnectRedisStore({ client: {} as never });
  it('clears the old cookie where it was set', () => {
    const migration = expressSessionMigration({ secret: 's', store, name: 'app.sid', cookie: { path: '/app', domain: 'example.test' } });
    expect(migration.cookieName).toBe('app.sid');
    expect(migration.clearCookie).toBe('app.sid=; Path=/app; Domain=example.test; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  });
  it('refuses a missing secret, a store that is none and a bad cookie name', () => {
    expect(() => expressSessionMigration({ secret: '', store })).toThrow(/secret/);
    expect(() => expressSessionMigration({ secret: [], store })).toThrow(/secret/);
    expect(() => expressSessionMigration({ secret: 's', store: {} as never })).toThrow(/store/);
    expect(() => expressSessionMigration({ secret: 's', store, name: 'bad name;' })).toThrow(/cookie name/);
    expect(() => expressSessionMigration({ secret: 's', store, cookie: { path: '/a;b' } })).toThrow(/path/);
  });
});
