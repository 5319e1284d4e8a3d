/**
 * `hashIds` on a real store, over HTTP: what the store holds names no session id (record
 * keys, a listing through `keys`, the user index record, lock records), and the migration
 * of a live deployment (sessions written with `hashIds` off keep working once it is on,
 * and move to their hashed keys). Called from `describeSessionsOverHttp`, so every store
 * runs it.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { hashedId } from '../../src/core/hashed-id.js';
import type { Store } from '../../src/core/store.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';

const quiet = { warn: () => {}, info: () => {} };

function app(store: Store, options: Partial<SessionOptions>) {
  const sessions = sessionkit({ store, secret: 'hashed-ids-suite-secret-0123456', logger: quiet, ...options });
  const application = express();
  application.use(sessions);
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  application.get('/login/:user', (req, res) => {
    req.session.regenerate();
    data(req).user = req.params.user;
    res.send('ok');
  });
  application.get('/whoami', (req, res) => {
    res.send(typeof data(req).user === 'string' ? (data(req).user as string) : 'nobody');
  });
  application.get('/set/:key/:value', (req, res) => {
    data(req)[req.params.key] = req.params.value;
    res.send('ok');
  });
  application.get('/all', (req, res) => {
    res.json({ ...data(req) });
  });
  application.get('/logout-others', async (req, res) => {
    res.json(await sessions.revokeSessions(data(req).user as string, { except: req.session }));
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return { application, sessions };
}

/** The id inside the jar's signed session cookie (`id.signature`). */
const idOf = (jar: CookieJar) => jar.cookies.get('session')!.split('.')[0]!;
/** A record's bytes as text: ids are ASCII, and both serializers keep strings as they are. */
const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('latin1') : '');

export function describeHashedIds(title: string, setup: () => Promise<{ store: Store; cleanup?: () => Promise<void> }>, compareAndSet: boolean): void {
  describe(`hashIds: ${title}`, () => {
    let store: Store;
    let cleanup: (() => Promise<void>) | undefined;
    const servers: TestServer[] = [];
    let run = 0;
    /** Apps on one key prefix of their own: with raw ids, with hashIds, and with hashIds reading no raw key. */
    let urls: { plain: string; hashed: string; strict: string; prefix: string };
    // A user's sessions and the lock need compare-and-set (create and setIf). The lock waits
    // long: concurrent requests of one session take turns, and an emulator's turns are slow.
    const features: Partial<SessionOptions> = compareAndSet ? { userField: 'user', lock: { wait: '60s' } } : {};
    const start = async () => {
      const prefix = `hi${process.pid}-${Date.now()}-${run++}:`;
      const variants = { plain: {}, hashed: { hashIds: true }, strict: { hashIds: { readRawKeys: false } } };
      const started = await Promise.all(Object.values(variants).map((variant) => listen(app(store, { keyPrefix: prefix, ...features, ...variant }).application)));
      servers.push(...started);
      const [plain, hashed, strict] = started.map((server) => server.url) as [string, string, string];
      urls = { plain, hashed, strict, prefix };
    };
    beforeAll(async () => {
      const fixture = await setup();
      store = fixture.store;
      cleanup = fixture.cleanup;
    }, 60_000);
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.close()));
      await cleanup?.();
    }, 60_000);

    const login = async (url: string, user: string) => {
      const jar = new CookieJar();
      const response = await jar.fetch(`${url}/login/${user}`);
      expect(response.status, await response.text()).toBe(200);
      return jar;
    };
    const whoami = async (url: string, jar: CookieJar) => (await jar.fetch(`${url}/whoami`)).text();
    const listed = async (prefix: string) => {
      const keys: string[] = [];
      for await (const key of store.keys!(prefix)) keys.push(key);
      return keys;
    };
    const indexRecord = async (prefix: string, user: string) => text((await store.get(`${prefix}user.${createHash('sha256').update(user).digest('base64url')}`))?.data);

    it('keeps a session under keyPrefix + the hash of its id: no key, listing, user index or lock record holds the id', async () => {
      await start();
      const { hashed, prefix } = urls;
      const jar = await login(hashed, 'ada');
      expect(await whoami(hashed, jar)).toBe('ada');
      const id = idOf(jar);
      expect(await store.get(prefix + id)).toBeUndefined();
      expect(text((await store.get(prefix + hashedId(id)))?.data)).toContain('ada');
      if (store.keys) {
        const keys = await listed(prefix);
        expect(keys).toContain(prefix + hashedId(id));
        for (const key of keys) expect(key).not.toContain(id);
      }
      if (compareAndSet) {
        const index = await indexRecord(prefix, 'ada');
        expect(index).toContain(hashedId(id));
        expect(index).not.toContain(id);
        // The /whoami request held the session's lock; its released record lives on for a lease.
        expect(await store.get(`${prefix}lock.${hashedId(id)}`)).toBeDefined();
        expect(await store.get(`${prefix}lock.${id}`)).toBeUndefined();
      }
    });

    it('a session written before hashIds was turned on is still logged in after, and moves to its hashed key', async () => {
      await start();
      const { plain, hashed, prefix } = urls;
      const phone = await login(plain, 'bob');
      const laptop = await login(plain, 'bob');
      const tablet = await login(plain, 'bob');
      const [phoneId, laptopId, tabletId] = [idOf(phone), idOf(laptop), idOf(tablet)];
      expect(await store.get(prefix + phoneId)).toBeDefined();
      // The application restarted with hashIds: the same cookie, the same session.
      expect(await whoami(hashed, phone)).toBe('bob');
      expect(await store.get(prefix + phoneId)).toBeUndefined();
      expect(text((await store.get(prefix + hashedId(phoneId)))?.data)).toContain('bob');
      expect(await whoami(hashed, phone)).toBe('bob');
      if (!compareAndSet) return;
      // The moved session's index entry was written anew; the others, not moved by a request, still name their raw keys.
      const index = await indexRecord(prefix, 'bob');
      expect(index).not.toContain(phoneId);
      expect(index).toContain(hashedId(phoneId));
      // The tablet moved by a request that ended before its commit (so its entry was not written anew).
      const tabletRecord = (await store.get(prefix + tabletId))!;
      await store.set(prefix + hashedId(tabletId), { data: tabletRecord.data, expiresAt: tabletRecord.expiresAt });
      await store.delete(prefix + tabletId);
      // "Log out other devices" reaches the sessions under either key.
      expect(await (await phone.fetch(`${hashed}/logout-others`)).json()).toBe(2);
      for (const [jar, id] of [[laptop, laptopId], [tablet, tabletId]] as const) {
        expect(await whoami(hashed, jar)).toBe('nobody');
        expect(await store.get(prefix + id)).toBeUndefined();
        expect(await store.get(prefix + hashedId(id))).toBeUndefined();
      }
      expect(await indexRecord(prefix, 'bob')).not.toContain(laptopId);
      expect(await whoami(hashed, phone)).toBe('bob');
      if (store.keys) for (const key of await listed(prefix)) for (const id of [phoneId, laptopId, tabletId]) expect(key).not.toContain(id);
    });

    it('concurrent first requests of a session written before hashIds move it once, losing no write', async ({ skip }) => {
      // Without insert-if-absent two movers both write; such stores are last writer wins anyway.
      if (!compareAndSet) skip();
      await start();
      const { plain, hashed, prefix } = urls;
      const jar = await login(plain, 'carol');
      const id = idOf(jar);
      const cookie = jar.header()!;
      const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(`${hashed}/set/k${i}/${i}`, { headers: { cookie } })));
      const failures = await Promise.all(responses.filter((r) => r.status !== 200).map(async (r) => `${r.status} ${(await r.text()).slice(0, 300)}`));
      expect(failures).toEqual([]);
      const all = (await (await jar.fetch(`${hashed}/all`)).json()) as Record<string, string>;
      expect(all).toMatchObject({ user: 'carol', k0: '0', k1: '1', k2: '2', k3: '3', k4: '4', k5: '5', k6: '6', k7: '7' });
      expect(await store.get(prefix + id)).toBeUndefined();
    });

    it('with readRawKeys: false a raw key is never read: its session is a fresh one', async () => {
      await start();
      const { plain, strict, prefix } = urls;
      const jar = await login(plain, 'dave');
      const id = idOf(jar);
      expect(await whoami(strict, jar)).toBe('nobody');
      expect(await store.get(prefix + id)).toBeDefined();
    });
  });
}
