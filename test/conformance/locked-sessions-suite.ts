/**
 * The `lock` option on a real store, over HTTP: concurrent increments of one counter lose
 * none with it, and lose some without it (the documented last writer wins); a bounded wait
 * ends in a clear error; a lock is given back however its request ends. Called from
 * `describeSessionsOverHttp`, so it runs on every store.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import type { SessionOptions } from '../../src/core/options.js';
import type { Store } from '../../src/core/store.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';

const quiet = { warn: () => {}, info: () => {} };
const INCREMENTS = 20;

function app(store: Store, options: Partial<SessionOptions>) {
  const application = express();
  application.use(sessionkit({ store, secret: 'locked-sessions-suite-secret-01', logger: quiet, ...options }));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  // Read, let time pass (other requests run meanwhile, unless the lock holds them), write:
  // the lost-update pattern.
  application.get('/increment', (req, res) => {
    const count = Number(data(req).count ?? 0);
    setTimeout(() => {
      data(req).count = count + 1;
      res.send(String(count + 1));
    }, 10);
  });
  // The same, but every request waits until `n` of them have read before writing: without
  // a lock they all read the same count, on cue rather than by timing.
  const readers = new Map<string, { count: number; go: Array<() => void> }>();
  application.get('/increment-together/:gate/:n', (req, res) => {
    const count = Number(data(req).count ?? 0);
    const gate = readers.get(req.params.gate) ?? { count: 0, go: [] };
    readers.set(req.params.gate, gate);
    gate.go.push(() => {
      data(req).count = count + 1;
      res.send(String(count + 1));
    });
    if (++gate.count === Number(req.params.n)) for (const go of gate.go) go();
  });
  application.get('/count', (req, res) => {
    res.send(String(Number(data(req).count ?? 0)));
  });
  application.get('/fail', () => {
    throw new Error('the handler failed');
  });
  const parked = new Map<string, () => void>();
  application.get('/park/:gate', (req, res) => {
    parked.set(req.params.gate, () => res.send('released'));
  });
  application.get('/parked/:gate', (req, res) => {
    res.send(parked.has(req.params.gate) ? 'yes' : 'no');
  });
  application.get('/release/:gate', (req, res) => {
    parked.get(req.params.gate)?.();
    res.send(parked.delete(req.params.gate) ? 'released' : 'not parked');
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return application;
}

export function describeLockedSessions(title: string, setup: () => Promise<{ store: Store; cleanup?: () => Promise<void> }>): void {
  describe(`lock: requests of one session one after another: ${title}`, () => {
    let locked: TestServer;
    let unlocked: TestServer;
    let cleanup: (() => Promise<void>) | undefined;
    let store: Store;
    beforeAll(async () => {
      const fixture = await setup();
      cleanup = fixture.cleanup;
      store = fixture.store;
      const keyPrefix = `lk${process.pid}-${Date.now()}:`;
      locked = await listen(app(fixture.store, { keyPrefix, lock: { wait: '20s', lease: '20s' } }));
      unlocked = await listen(app(fixture.store, { keyPrefix }));
    }, 60_000);
    afterAll(async () => {
      await locked?.close();
      await unlocked?.close();
      await cleanup?.();
    }, 60_000);

    const started = async (server: TestServer) => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/increment`);
      return jar;
    };
    const incrementAll = async (server: TestServer, jar: CookieJar) => {
      const cookie = jar.header()!;
      const responses = await Promise.all(Array.from({ length: INCREMENTS }, () => fetch(`${server.url}/increment`, { headers: { cookie } })));
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      return Number(await (await jar.fetch(`${server.url}/count`)).text());
    };

    it(`${INCREMENTS} concurrent increments of one counter lose none`, async () => {
      const jar = await started(locked);
      expect(await incrementAll(locked, jar)).toBe(INCREMENTS + 1);
    });

    it('without lock, increments that overlap lose all but one: the last writer wins, as documented', async () => {
      const jar = await started(unlocked);
      const cookie = jar.header()!;
      const responses = await Promise.all(Array.from({ length: 5 }, () => fetch(`${unlocked.url}/increment-together/t1/5`, { headers: { cookie } })));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(await (await jar.fetch(`${unlocked.url}/count`)).text()).toBe('2');
    });

    it('a request that failed gives its lock back', async () => {
      const jar = await started(locked);
      expect((await jar.fetch(`${locked.url}/fail`)).status).toBe(500);
      expect(await (await jar.fetch(`${locked.url}/increment`)).text()).toBe('2');
    });

    it('a request that waits longer than lock.wait ends in a clear error, and the session goes on', async () => {
      const server = await listen(app(store, { keyPrefix: `lw${process.pid}-${Date.now()}:`, lock: { wait: '300ms', lease: '20s' } }));
      try {
        const jar = await started(server);
        const holder = jar.fetch(`${server.url}/park/w1`);
        while ((await (await fetch(`${server.url}/parked/w1`)).text()) !== 'yes') await new Promise((resolve) => setTimeout(resolve, 10));
        const waited = await jar.fetch(`${server.url}/count`);
        expect(waited.status).toBe(500);
        expect(await waited.text()).toMatch(/waited \d+ ms for the lock of this session.*Raise lock\.wait/);
        await fetch(`${server.url}/release/w1`);
        expect((await holder).status).toBe(200);
        expect(await (await jar.fetch(`${server.url}/increment`)).text()).toBe('2');
      } finally {
        await server.close();
      }
    });
  });
}
