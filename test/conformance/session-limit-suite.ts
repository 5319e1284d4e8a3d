/**
 * `maxSessionsPerUser` on a real store, over HTTP: a login beyond the limit ends the least
 * recently active session (`onLimit: 'evict-oldest'`) or is refused with a
 * SessionLimitError the application answers (`'refuse'`), and n + k logins of one user at
 * once end with at most n live sessions. Called from the user-sessions suite, so it runs
 * on every store with compare-and-set.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { SessionLimitError } from '../../src/index.js';
import type { OnLimit } from '../../src/accounts/session-limit.js';
import type { Store } from '../../src/core/store.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';

const quiet = { warn: () => {}, info: () => {} };
const LIMIT = 3;
let run = 0;

/** How the limited application keeps its sessions: in the store, or in sealed cookies counted in the store. */
type Kind = OnLimit | 'sealed';

/** The login of docs/lifecycle.md: recorded by `await req.session.save()`, so a refusal is answered by the handler. */
function limitedApp(store: Store, keyPrefix: string, kind: Kind) {
  const where = kind === 'sealed' ? { store: cookieStore(), revocations: { store, maxStale: 0 } } : { store, onLimit: kind };
  const sessions = sessionkit({
    ...where,
    secret: 'session-limit-suite-secret-0123456789',
    logger: quiet,
    keyPrefix,
    userField: 'user',
    maxSessionsPerUser: LIMIT,
    // Every request refreshes: a session's last activity is its last request.
    touchAfter: 0,
  });
  const application = express();
  application.use(sessions);
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  application.get('/login/:user', async (req, res, next) => {
    try {
      await req.session.regenerate([]);
      data(req).user = req.params.user;
      await req.session.save();
    } catch (error) {
      if (!(error instanceof SessionLimitError)) {
        next(error);
        return;
      }
      delete data(req).user;
      res.status(409).json({ limit: error.limit, liveSessions: error.liveSessions, message: error.message });
      return;
    }
    res.send('ok');
  });
  application.get('/whoami', (req, res) => {
    res.send((data(req).user as string | undefined) ?? 'nobody');
  });
  application.get('/logout', (req, res, next) => {
    req.session.destroy((error) => {
      if (error) next(error);
      else res.send('ok');
    });
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return { application, sessions };
}

export function describeSessionLimit(title: string, setup: () => Promise<{ store: Store; cleanup?: () => Promise<void> }>): void {
  describe(`maxSessionsPerUser: ${title}`, () => {
    const servers: Partial<Record<Kind, { server: TestServer; sessions: ReturnType<typeof limitedApp>['sessions'] }>> = {};
    let cleanup: (() => Promise<void>) | undefined;
    const user = (name: string) => `${name}-${process.pid}-${run}`;
    beforeAll(async () => {
      run++;
      const fixture = await setup();
      cleanup = fixture.cleanup;
      for (const kind of ['evict-oldest', 'refuse', 'sealed'] as const) {
        const built = limitedApp(fixture.store, `lim${process.pid}-${Date.now()}-${kind}:`, kind);
        servers[kind] = { server: await listen(built.application), sessions: built.sessions };
      }
    }, 60_000);
    afterAll(async () => {
      for (const entry of Object.values(servers)) await entry.server.close();
      await cleanup?.();
    }, 60_000);

    const login = async (onLimit: Kind, name: string, jar = new CookieJar()) => ({ jar, response: await jar.fetch(`${servers[onLimit]!.server.url}/login/${name}`) });
    const loggedIn = async (onLimit: Kind, name: string) => {
      const { jar, response } = await login(onLimit, name);
      expect(response.status, await response.text()).toBe(200);
      return jar;
    };
    const whoami = async (onLimit: Kind, jar: CookieJar) => (await jar.fetch(`${servers[onLimit]!.server.url}/whoami`)).text();
    // Stores that keep expiry times to the second still order sessions this far apart.
    const pause = () => new Promise((resolve) => setTimeout(resolve, 1_100));

    it("evict-oldest: a login beyond the limit ends the user's least recently active session, and only it", async () => {
      const alice = user('alice');
      const first = await loggedIn('evict-oldest', alice);
      await pause();
      const second = await loggedIn('evict-oldest', alice);
      await pause();
      const third = await loggedIn('evict-oldest', alice);
      await pause();
      // The first session is used again: the second is now the least recently active.
      expect(await whoami('evict-oldest', first)).toBe(alice);
      await pause();
      const bob = await loggedIn('evict-oldest', user('bob'));
      const fourth = await loggedIn('evict-oldest', alice);
      expect(await whoami('evict-oldest', second)).toBe('nobody');
      for (const jar of [first, third, fourth]) expect(await whoami('evict-oldest', jar)).toBe(alice);
      expect(await whoami('evict-oldest', bob)).toBe(user('bob'));
      expect(await servers['evict-oldest']!.sessions.listSessions(alice)).toHaveLength(LIMIT);
    }, 30_000);

    it('refuse: a login beyond the limit fails with a SessionLimitError the handler answers, and writes nothing', async () => {
      const carol = user('carol');
      const jars = [await loggedIn('refuse', carol), await loggedIn('refuse', carol), await loggedIn('refuse', carol)];
      const { jar, response } = await login('refuse', carol);
      expect(response.status).toBe(409);
      const body = (await response.json()) as { limit: number; liveSessions: number; message: string };
      expect(body).toMatchObject({ limit: LIMIT, liveSessions: LIMIT });
      expect(body.message).toMatch(/maxSessionsPerUser is 3/);
      expect(await whoami('refuse', jar)).toBe('nobody');
      for (const earlier of jars) expect(await whoami('refuse', earlier)).toBe(carol);
      expect(await servers.refuse!.sessions.listSessions(carol)).toHaveLength(LIMIT);
      // Logging in again on a browser that holds one of the sessions replaces it: not one more.
      const again = await login('refuse', carol, jars[0]);
      expect(again.response.status, await again.response.text()).toBe(200);
      // Once one session ends, a login fits again.
      await jars[1]!.fetch(`${servers.refuse!.server.url}/logout`);
      expect((await login('refuse', carol, jar)).response.status).toBe(200);
      expect(await whoami('refuse', jar)).toBe(carol);
      expect(await servers.refuse!.sessions.listSessions(carol)).toHaveLength(LIMIT);
    }, 30_000);

    it('evict-oldest: n + k logins at once end with at most n live sessions, all of them in the listing', async () => {
      const dave = user('dave');
      const jars = await Promise.all(Array.from({ length: LIMIT + 5 }, () => loggedIn('evict-oldest', dave)));
      const live = (await Promise.all(jars.map((jar) => whoami('evict-oldest', jar)))).filter((who) => who === dave).length;
      expect(live).toBeGreaterThan(0);
      expect(live).toBeLessThanOrEqual(LIMIT);
      expect(await servers['evict-oldest']!.sessions.listSessions(dave)).toHaveLength(live);
    }, 30_000);

    it('refuse: n + k logins at once: n succeed, k are refused', async () => {
      const erin = user('erin');
      const attempts = await Promise.all(Array.from({ length: LIMIT + 5 }, () => login('refuse', erin)));
      const statuses = attempts.map(({ response }) => response.status).sort();
      expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), ...Array<number>(5).fill(409)]);
      const live = (await Promise.all(attempts.map(({ jar }) => whoami('refuse', jar)))).filter((who) => who === erin).length;
      expect(live).toBe(LIMIT);
      expect(await servers.refuse!.sessions.listSessions(erin)).toHaveLength(LIMIT);
    }, 30_000);

    it('sealed cookies, counted in this store: a sign-in beyond the limit ends the earliest, and n + k at once leave at most n', async () => {
      const frank = user('frank');
      const earliest = await loggedIn('sealed', frank);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const later = await Promise.all(Array.from({ length: LIMIT + 4 }, () => loggedIn('sealed', frank)));
      expect(await whoami('sealed', earliest)).toBe('nobody');
      const open = (await Promise.all(later.map((jar) => whoami('sealed', jar)))).filter((who) => who === frank).length;
      expect(open).toBeGreaterThan(0);
      expect(open).toBeLessThanOrEqual(LIMIT);
    }, 30_000);
  });
}
