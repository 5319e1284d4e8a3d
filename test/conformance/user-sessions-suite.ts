/**
 * A user's sessions on a real store, over HTTP: the index that `userField` keeps,
 * listSessions, "log out other devices", revoking one session, and the two races the
 * issue names (a login racing a revoke-all; a request in flight when its session is
 * revoked). Called from `describeSessionsOverHttp`, so it runs on every store.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import type { Store } from '../../src/core/store.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { describeSessionLimit } from './session-limit-suite.js';

const quiet = { warn: () => {}, info: () => {} };
let run = 0;

function app(store: Store, keyPrefix: string) {
  const sessions = sessionkit({ store, secret: 'user-sessions-suite-secret-0123', logger: quiet, keyPrefix, userField: 'auth.user', listedFields: ['agent'] });
  const application = express();
  application.use(sessions);
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  application.get('/login/:user', (req, res, next) => {
    req.session.regenerate((error) => {
      if (error) {
        next(error);
        return;
      }
      data(req).auth = { user: req.params.user };
      data(req).agent = req.get('user-agent');
      res.send('ok');
    });
  });
  application.get('/logout', (req, res) => {
    delete data(req).auth;
    res.send('ok');
  });
  application.get('/whoami', (req, res) => {
    res.send((data(req).auth as { user?: string } | undefined)?.user ?? 'nobody');
  });
  application.get('/mine', async (req, res) => {
    const user = (data(req).auth as { user: string }).user;
    res.json(await sessions.listSessions(user, { current: req.session }));
  });
  application.get('/logout-others', async (req, res) => {
    const user = (data(req).auth as { user: string }).user;
    res.json(await sessions.revokeSessions(user, { except: req.session }));
  });
  // What an express-session user writes: the id rather than the session.
  application.get('/logout-others-by-id', async (req, res) => {
    const user = (data(req).auth as { user: string }).user;
    res.json(await sessions.revokeSessions(user, { except: req.session.id }));
  });
  // Loads its session, parks until released, then changes it: a request in flight.
  const parked = new Map<string, () => void>();
  application.get('/slow-touch/:gate', (req, res) => {
    parked.set(req.params.gate, () => {
      data(req).touched = true;
      res.send('ok');
    });
  });
  application.get('/release/:gate', (req, res) => {
    parked.get(req.params.gate)?.();
    res.send(parked.delete(req.params.gate) ? 'released' : 'not parked');
  });
  application.get('/parked/:gate', (req, res) => {
    res.send(parked.has(req.params.gate) ? 'yes' : 'no');
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return { application, sessions };
}

export function describeUserSessions(title: string, setup: () => Promise<{ store: Store; cleanup?: () => Promise<void> }>): void {
  describeSessionLimit(title, setup);
  describe(`a user's sessions: ${title}`, () => {
    let server: TestServer;
    let sessions: ReturnType<typeof app>['sessions'];
    let cleanup: (() => Promise<void>) | undefined;
    // Users unique per run, so suites can share one server.
    const user = (name: string) => `${name}-${process.pid}-${run}`;
    beforeAll(async () => {
      run++;
      const fixture = await setup();
      cleanup = fixture.cleanup;
      const built = app(fixture.store, `us${process.pid}-${Date.now()}:`);
      sessions = built.sessions;
      server = await listen(built.application);
    }, 60_000);
    afterAll(async () => {
      await server?.close();
      await cleanup?.();
    }, 60_000);

    const login = async (name: string, agent = 'test-agent') => {
      const jar = new CookieJar();
      const response = await jar.fetch(`${server.url}/login/${name}`, { headers: { 'user-agent': agent } });
      expect(response.status, await response.text()).toBe(200);
      return jar;
    };
    const whoami = async (jar: CookieJar) => (await jar.fetch(`${server.url}/whoami`)).text();

    it('lists the live sessions of a user with handles, never ids, and the fields the application recorded', async () => {
      const alice = user('alice');
      const phone = await login(alice, 'phone');
      const laptop = await login(alice, 'laptop');
      await login(user('bob'));
      const listed = (await (await phone.fetch(`${server.url}/mine`)).json()) as Array<Record<string, unknown>>;
      expect(listed.map((s) => (s.fields as { agent: string }).agent).sort()).toEqual(['laptop', 'phone']);
      expect(listed.filter((s) => s.current).map((s) => (s.fields as { agent: string }).agent)).toEqual(['phone']);
      for (const entry of listed) {
        expect(typeof entry.handle).toBe('string');
        for (const jar of [phone, laptop]) expect(jar.header()).not.toContain(entry.handle as string);
        expect(entry.createdAt as number).toBeLessThanOrEqual(Date.now());
        expect(entry.expiresAt as number).toBeGreaterThan(Date.now());
        expect(entry.lastActiveAt as number).toBeGreaterThanOrEqual(entry.createdAt as number);
      }
    });

    it('"log out other devices" ends every other session of the user and keeps the current one', async () => {
      const alice = user('carol');
      const [phone, laptop, tablet] = [await login(alice), await login(alice), await login(alice)];
      const bob = await login(user('dave'));
      expect(await (await laptop.fetch(`${server.url}/logout-others`)).json()).toBe(2);
      expect(await whoami(laptop)).toBe(alice);
      expect(await whoami(phone)).toBe('nobody');
      expect(await whoami(tablet)).toBe('nobody');
      expect(await whoami(bob)).toBe(user('dave'));
      expect((await sessions.listSessions(alice)).length).toBe(1);
    });

    it('"log out other devices" with except: req.session.id keeps the current session too', async () => {
      const alice = user('ivan');
      const [phone, laptop] = [await login(alice), await login(alice)];
      expect(await (await laptop.fetch(`${server.url}/logout-others-by-id`)).json()).toBe(1);
      expect(await whoami(laptop)).toBe(alice);
      expect(await whoami(phone)).toBe('nobody');
    });

    it('revokes one session by its handle, and a logout leaves the listing', async () => {
      const alice = user('erin');
      const phone = await login(alice, 'phone');
      const laptop = await login(alice, 'laptop');
      const phoneHandle = (await sessions.listSessions(alice)).find((s) => s.fields.agent === 'phone')!.handle;
      expect(await sessions.revokeSession(alice, phoneHandle)).toBe(true);
      expect(await sessions.revokeSession(alice, phoneHandle)).toBe(false);
      expect(await whoami(phone)).toBe('nobody');
      expect(await whoami(laptop)).toBe(alice);
      await laptop.fetch(`${server.url}/logout`);
      expect(await sessions.listSessions(alice)).toEqual([]);
      expect(await whoami(laptop)).toBe('nobody');
    });

    it('the cookie of a revoked session is `missed` as `revoked`: the revocation left a marker where its record was', async () => {
      const alice = user('judy');
      const [phone, laptop] = [await login(alice, 'phone'), await login(alice, 'laptop')];
      const phoneHandle = (await sessions.listSessions(alice)).find((s) => s.fields.agent === 'phone')!.handle;
      const reasons: string[] = [];
      const off = sessions.on('missed', (event) => reasons.push(event.reason));
      try {
        expect(await sessions.revokeSession(alice, phoneHandle)).toBe(true);
        expect(await whoami(phone)).toBe('nobody');
        expect(await sessions.revokeSessions(alice)).toBe(1);
        expect(await whoami(laptop)).toBe('nobody');
        // Looked up after each request (two reads, only because someone listens).
        await vi.waitFor(() => expect(reasons).toEqual(['revoked', 'revoked']), { timeout: 5000 });
      } finally {
        off();
      }
    });

    it('a request still in flight when its session is revoked does not write it back', async () => {
      const alice = user('frank');
      const phone = await login(alice);
      const slow = phone.fetch(`${server.url}/slow-touch/g1`);
      while ((await (await fetch(`${server.url}/parked/g1`)).text()) !== 'yes') await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await sessions.revokeSessions(alice)).toBe(1);
      await fetch(`${server.url}/release/g1`);
      expect((await slow).status).toBe(200);
      expect(await whoami(phone)).toBe('nobody');
      expect(await sessions.listSessions(alice)).toEqual([]);
    });

    it('logins racing a revoke-all: no session the index lost, none logged in before the revoke survives', async () => {
      const alice = user('grace');
      const before = await Promise.all(Array.from({ length: 4 }, () => login(alice)));
      // Logins and a revoke-all at once; then every live session must be in the listing,
      // so that a second revoke-all leaves none.
      const racing = Array.from({ length: 8 }, () => login(alice));
      const revoked = sessions.revokeSessions(alice);
      const during = await Promise.all(racing);
      expect(await revoked).toBeGreaterThanOrEqual(4);
      for (const jar of before) expect(await whoami(jar)).toBe('nobody');
      const live = (await Promise.all(during.map(whoami))).filter((who) => who === alice).length;
      expect((await sessions.listSessions(alice)).length).toBe(live);
      expect(await sessions.revokeSessions(alice)).toBe(live);
      for (const jar of during) expect(await whoami(jar)).toBe('nobody');
    });

    it('concurrent logins of one user all reach the index', async () => {
      const alice = user('heidi');
      const jars = await Promise.all(Array.from({ length: 12 }, () => login(alice)));
      expect((await sessions.listSessions(alice)).length).toBe(12);
      expect(await sessions.revokeSessions(alice)).toBe(12);
      for (const jar of jars) expect(await whoami(jar)).toBe('nobody');
    });
  });
}
