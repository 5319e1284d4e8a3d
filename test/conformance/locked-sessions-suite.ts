/**
 * The `lock` option on a real store, over HTTP: concurrent increments of one counter lose
 * none with it, and lose some without it (the documented last writer wins); a bounded wait
 * ends in a clear error; a lock is given back however its request ends; a request that
 * holds its lock past the lease lets the session's next request in. Called from
 * `describeSessionsOverHttp`, so it runs on every store with an Express app in Node; the
 * same scenarios run against Hono and Web-adapter apps inside workerd on D1 and Durable
 * Objects (test/runtimes/workerd/locked-sessions.test.ts).
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import type { SessionOptions } from '../../src/engine/options.js';
import type { Store } from '../../src/core/store.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { LOCKED_APPS, lockedSessionApp, type LockedApps } from './locked-session-routes.js';

const quiet = { warn: () => {}, info: () => {} };
const INCREMENTS = 20;

/** An Express app with `options` serving ./locked-session-routes.ts. */
function app(store: Store, options: Partial<SessionOptions>) {
  const application = express();
  application.use(sessionkit({ store, secret: 'locked-sessions-suite-secret-01', logger: quiet, ...options }));
  const answer = lockedSessionApp();
  application.use((req, res, next) => {
    answer(req.path, req.session as unknown as Record<string, unknown>).then((text) => res.send(text), next);
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return application;
}

/** The scenarios with Express apps in this process. */
export function describeLockedSessions(title: string, setup: () => Promise<{ store: Store; cleanup?: () => Promise<void> }>): void {
  describe(`lock: requests of one session one after another: ${title}`, () => {
    const servers: TestServer[] = [];
    let cleanup: (() => Promise<void>) | undefined;
    let urls: LockedApps | undefined;
    beforeAll(async () => {
      const fixture = await setup();
      cleanup = fixture.cleanup;
      const keyPrefix = `lk${process.pid}-${Date.now()}:`;
      const entries = await Promise.all(
        Object.entries(LOCKED_APPS).map(async ([name, lock]) => {
          const server = await listen(app(fixture.store, { keyPrefix, lock }));
          servers.push(server);
          return [name, server.url] as const;
        }),
      );
      urls = Object.fromEntries(entries) as LockedApps;
    }, 60_000);
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.close()));
      await cleanup?.();
    }, 60_000);
    describeLockedSessionScenarios(() => {
      if (!urls) throw new Error(`the apps of ${title} did not start`);
      return urls;
    });
  });
}

/** The scenarios against the apps at `apps()`, wherever they run, in the caller's describe. */
export function describeLockedSessionScenarios(apps: () => LockedApps): void {
  const started = async (url: string) => {
    const jar = new CookieJar();
    await jar.fetch(`${url}/increment`);
    return jar;
  };
  const parkedYet = async (url: string, gate: string) => {
    while ((await (await fetch(`${url}/parked/${gate}`)).text()) !== 'yes') await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it(`${INCREMENTS} concurrent increments of one counter lose none`, async () => {
    const { locked } = apps();
    const jar = await started(locked);
    const cookie = jar.header()!;
    const responses = await Promise.all(Array.from({ length: INCREMENTS }, () => fetch(`${locked}/increment`, { headers: { cookie } })));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    expect(Number(await (await jar.fetch(`${locked}/count`)).text())).toBe(INCREMENTS + 1);
  }, 60_000);

  it('without lock, increments that overlap lose all but one: the last writer wins, as documented', async () => {
    const { unlocked } = apps();
    const jar = await started(unlocked);
    const cookie = jar.header()!;
    const responses = await Promise.all(Array.from({ length: 5 }, () => fetch(`${unlocked}/increment-together/t1/5`, { headers: { cookie } })));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await (await jar.fetch(`${unlocked}/count`)).text()).toBe('2');
  });

  it('a request that failed gives its lock back', async () => {
    const { locked } = apps();
    const jar = await started(locked);
    expect((await jar.fetch(`${locked}/fail`)).status).toBe(500);
    expect(await (await jar.fetch(`${locked}/increment`)).text()).toBe('2');
  });

  it('the next request of a session gets the lock its previous request gave back, again and again', async () => {
    const { locked } = apps();
    const jar = await started(locked);
    for (let i = 2; i <= 5; i++) expect(await (await jar.fetch(`${locked}/increment`)).text()).toBe(String(i));
  });

  it('a request that waits longer than lock.wait ends in a clear error, and the session goes on', async () => {
    const { shortWait } = apps();
    const jar = await started(shortWait);
    const holder = jar.fetch(`${shortWait}/park/w1`);
    await parkedYet(shortWait, 'w1');
    const waited = await jar.fetch(`${shortWait}/count`);
    expect(waited.status).toBe(500);
    expect(await waited.text()).toMatch(/waited \d+ ms for the lock of this session.*Raise lock\.wait/);
    await fetch(`${shortWait}/release/w1`);
    expect((await holder).status).toBe(200);
    expect(await (await jar.fetch(`${shortWait}/increment`)).text()).toBe('2');
  });

  it("a request that holds the lock past lock.lease lets the session's next request in after about the lease, well before lock.wait", async () => {
    const { shortLease } = apps();
    const jar = await started(shortLease);
    const holder = jar.fetch(`${shortLease}/park/l1`);
    await parkedYet(shortLease, 'l1');
    const since = Date.now();
    const next = await jar.fetch(`${shortLease}/increment`);
    const waited = Date.now() - since;
    expect(next.status).toBe(200);
    expect(await next.text()).toBe('2');
    // The lease counts from before the holder was seen parked; the 20 s wait is far off (a
    // loaded machine adds round trips, never seconds on end).
    expect(waited).toBeLessThan(10_000);
    await fetch(`${shortLease}/release/l1`);
    expect((await holder).status).toBe(200);
    // The late holder's release left the lock alone: the session goes on.
    expect(await (await jar.fetch(`${shortLease}/increment`)).text()).toBe('3');
  }, 60_000);
}
