/**
 * Session behaviour over real HTTP, run for every store: what Flask-Session's own test
 * suite checks per backend (set, get, modify, delete), plus the concurrency guarantees.
 * A store's test file calls `describeSessionsOverHttp` next to `describeStore`.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { SessionEngine } from '../../src/engine/engine.js';
import type { Store } from '../../src/core/store.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { asText } from '../helpers/text.js';
import { describeHashedIds } from './hashed-ids-suite.js';
import { describeStoreLock } from './lock-suite.js';
import { describeLockedSessions } from './locked-sessions-suite.js';
import { describeUserSessions } from './user-sessions-suite.js';

const quiet = { warn: () => {}, info: () => {} };

/**
 * 50 concurrent requests on one session, each setting its own key k0…k49 (after a first
 * request set `start`); every one must answer 200. Returns the session's fields afterwards.
 */
async function fiftyWriters(url: string): Promise<Record<string, string>> {
  const jar = new CookieJar();
  await jar.fetch(`${url}/set/start/1`);
  const cookie = jar.header()!;
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${url}/set/k${i}/${i}`, { headers: { cookie } })));
  const failures = await Promise.all(responses.filter((r) => r.status !== 200).map(async (r) => `${r.status} ${(await r.text()).slice(0, 300)}`));
  // The message shows what failed: the diff alone prints a long array as [ Array(n) ].
  expect(failures, `failed requests:\n${failures.join('\n')}`).toEqual([]);
  return (await (await jar.fetch(`${url}/all`)).json()) as Record<string, string>;
}

/** Waits until the slow request of `gate` has loaded its session and is parked. */
async function parkedAt(url: string, gate: string): Promise<void> {
  while ((await (await fetch(`${url}/parked/${gate}`)).text()) !== 'yes') await new Promise((resolve) => setTimeout(resolve, 10));
}

function app(store: Store, maxConflictRetries?: number) {
  const application = express();
  application.use(sessionkit({ store, secret: 'http-suite-secret-0123456789', logger: quiet, maxConflictRetries, freshness: true }));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  application.get('/set/:key/:value', (req, res) => {
    data(req)[req.params.key] = req.params.value;
    res.send('ok');
  });
  // A request that loads the session, then waits for the test to release it before it
  // writes: the loser of a race, on purpose, and on cue rather than on a timer (which a
  // loaded machine overruns).
  const parked = new Map<string, () => void>();
  application.get('/slow-set/:key/:value/:gate', (req, res) => {
    parked.set(req.params.gate, () => {
      data(req)[req.params.key] = req.params.value;
      res.send('ok');
    });
  });
  application.get('/parked/:gate', (req, res) => {
    res.send(parked.has(req.params.gate) ? 'yes' : 'no');
  });
  application.get('/release/:gate', (req, res) => {
    const release = parked.get(req.params.gate);
    parked.delete(req.params.gate);
    release?.();
    res.send(release ? 'released' : 'not parked');
  });
  application.get('/get/:key', (req, res) => {
    res.send(asText(data(req)[req.params.key] ?? 'not set'));
  });
  application.get('/delete/:key', (req, res) => {
    delete data(req)[req.params.key];
    res.send('ok');
  });
  application.get('/all', (req, res) => {
    res.json(data(req));
  });
  // A binary field: set, changed in place (`bytes[0]++`), or read; answers its bytes.
  application.get('/bytes/:action', (req, res) => {
    const session = data(req);
    if (req.params.action === 'set') session.bytes = new Uint8Array([1, 2, 3]);
    else if (req.params.action === 'increment') (session.bytes as Uint8Array)[0]!++;
    res.send([...(session.bytes as Uint8Array)].join(','));
  });
  application.get('/destroy', (req, res) => {
    void req.session.destroy();
    res.send('ok');
  });
  application.get('/regenerate', (req, res) => {
    req.session.regenerate();
    res.send('ok');
  });
  // Step-up freshness: a mark after a save() of the same request, whose write then merges
  // onto the record the save wrote; and the time read back (epoch ms, or 'never').
  application.get('/mark-after-save', async (req, res) => {
    data(req).saved = 'yes';
    await req.session.save();
    req.session.markAuthenticated();
    res.send('ok');
  });
  application.get('/authenticated', (req, res) => {
    res.send(String(req.session.authenticatedAt?.getTime() ?? 'never'));
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return application;
}

export interface HttpSuiteOptions {
  /**
   * false for a store without compare-and-set (`setIf`), such as an express-session store
   * behind fromConnectStore(): instead of the merge guarantees, the suite checks the
   * documented last-writer-wins behaviour, and that the store indeed has no setIf.
   */
  compareAndSet?: boolean;
}


export function describeSessionsOverHttp(
  title: string,
  setup: () => Promise<{ store: Store; cleanup?: () => Promise<void> }>,
  options: HttpSuiteOptions = {},
) {
  const compareAndSet = options.compareAndSet ?? true;
  describeStoreLock(title, setup);
  describeHashedIds(title, setup, compareAndSet);
  // A user's sessions need compare-and-set, which a connect store behind fromConnectStore() lacks.
  if (compareAndSet) {
    describeUserSessions(title, setup);
    describeLockedSessions(title, setup);
  }
  describe(`sessions over HTTP: ${title}`, () => {
    let store: Store;
    let server: TestServer;
    /** The same application with maxConflictRetries: 1, the least that lets a write merge after a lost race. */
    let oneRetry: TestServer;
    let cleanup: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      const fixture = await setup();
      cleanup = fixture.cleanup;
      store = fixture.store;
      server = await listen(app(fixture.store));
      oneRetry = await listen(app(fixture.store, 1));
    }, 60_000);
    afterAll(async () => {
      await server?.close();
      await oneRetry?.close();
      await cleanup?.();
    }, 60_000);

    it('sets, gets, modifies and deletes a value', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set/value/42`);
      expect(await (await jar.fetch(`${server.url}/get/value`)).text()).toBe('42');
      await jar.fetch(`${server.url}/set/value/43`);
      expect(await (await jar.fetch(`${server.url}/get/value`)).text()).toBe('43');
      await jar.fetch(`${server.url}/delete/value`);
      expect(await (await jar.fetch(`${server.url}/get/value`)).text()).toBe('not set');
    });

    it('markAuthenticated() after a save() is stored, kept by a request that lost a race to it, and by regenerate()', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set/user/alice`);
      expect(await (await jar.fetch(`${server.url}/authenticated`)).text()).toBe('never');
      const gate = `fresh-${Math.random()}`;
      // Loaded before the mark, written after it: its write merges (compare-and-set) or, without setIf, overwrites.
      const slow = fetch(`${server.url}/slow-set/late/1/${gate}`, { headers: { cookie: jar.header()! } });
      await parkedAt(server.url, gate);
      await jar.fetch(`${server.url}/mark-after-save`);
      const marked = await (await jar.fetch(`${server.url}/authenticated`)).text();
      expect(Number(marked)).toBeGreaterThan(Date.now() - 60_000);
      await fetch(`${server.url}/release/${gate}`);
      expect((await slow).status).toBe(200);
      expect(await (await jar.fetch(`${server.url}/get/late`)).text()).toBe('1');
      if (compareAndSet) expect(await (await jar.fetch(`${server.url}/authenticated`)).text()).toBe(marked);
      await jar.fetch(`${server.url}/mark-after-save`);
      const again = await (await jar.fetch(`${server.url}/authenticated`)).text();
      await jar.fetch(`${server.url}/regenerate`);
      expect(await (await jar.fetch(`${server.url}/authenticated`)).text()).toBe(again);
    });

    it('publishes each store call on the diagnostics channels (start, then end) and each event on its own, with no configuration', async () => {
      const heard: string[] = [];
      const onStart = (message: unknown) => heard.push(`start ${(message as { action: string }).action}`);
      const onEnd = (message: unknown) => {
        const { store: name, action, durationMs } = message as { store: string; action: string; durationMs: number };
        // A store made of stores (cachingStore) publishes its parts' calls, each under its own name.
        heard.push(`end ${action}${typeof name === 'string' && name !== '' && durationMs >= 0 ? '' : ' (no store named or no duration)'}`);
      };
      const onCreated = (event: unknown) => heard.push(`created ${(event as { store: string }).store === store.name}`);
      subscribe('sessionkit:store.call.start', onStart);
      subscribe('sessionkit:store.call.end', onEnd);
      subscribe('sessionkit:session.created', onCreated);
      try {
        await new CookieJar().fetch(`${server.url}/set/value/1`);
      } finally {
        unsubscribe('sessionkit:store.call.start', onStart);
        unsubscribe('sessionkit:store.call.end', onEnd);
        unsubscribe('sessionkit:session.created', onCreated);
      }
      // In-process stores (memory, SQLite on a synchronous driver) make no store calls through the shared wrapper.
      const calls = heard.filter((line) => !line.startsWith('created'));
      expect(calls.length % 2).toBe(0);
      for (const line of calls) expect(line).toMatch(/^(start|end) \w+$/);
      expect(calls.filter((line) => line.startsWith('start')).length).toBe(calls.length / 2);
      // A store outside the process makes its calls through the shared wrapper (memory and SQLite, also behind encrypt, make none).
      const inProcess = typeof store.getSync === 'function' || store.name === 'memory' || store.name.startsWith('sqlite');
      if (!inProcess) expect(calls.length).toBeGreaterThan(0);
      expect(heard).toContain('created true');
    });

    it('destroy and regenerate end the old id', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set/user/alice`);
      const original = jar.header()!;
      await jar.fetch(`${server.url}/regenerate`);
      expect(jar.header()).not.toBe(original);
      expect(await (await jar.fetch(`${server.url}/get/user`)).text()).toBe('alice');
      const replay = await fetch(`${server.url}/get/user`, { headers: { cookie: original } });
      expect(await replay.text()).toBe('not set');
      await jar.fetch(`${server.url}/destroy`);
      expect(await (await jar.fetch(`${server.url}/get/user`)).text()).toBe('not set');
    });

    it("a binary field changed in place is saved (the decoder's copy, never a view of the store's buffer)", async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/bytes/set`);
      await jar.fetch(`${server.url}/bytes/increment`);
      await jar.fetch(`${server.url}/bytes/increment`);
      expect(await (await jar.fetch(`${server.url}/bytes/get`)).text()).toBe('3,2,3');
    });

    if (!compareAndSet) {
      it('the store has no compare-and-set (the merge guarantees below do not apply)', () => {
        expect(typeof store.setIf).toBe('undefined');
      });

      it('50 concurrent requests on one session all answer, and every key that survives holds its own value', async () => {
        const all = await fiftyWriters(server.url);
        expect(all.start).toBe('1');
        const kept = Object.keys(all).filter((key) => key.startsWith('k'));
        expect(kept.length).toBeGreaterThan(0);
        for (const key of kept) expect(all[key]).toBe(key.slice(1));
      });

      it('last writer wins: a slow request that loaded earlier replaces a faster write', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set/start/1`);
        const cookie = jar.header()!;
        const slow = fetch(`${server.url}/slow-set/slow/1/g1`, { headers: { cookie } });
        await parkedAt(server.url, 'g1');
        expect(await (await fetch(`${server.url}/set/fast/1`, { headers: { cookie } })).text()).toBe('ok');
        expect(await (await jar.fetch(`${server.url}/get/fast`)).text()).toBe('1');
        await fetch(`${server.url}/release/g1`);
        expect(await (await slow).text()).toBe('ok');
        const all = (await (await jar.fetch(`${server.url}/all`)).json()) as Record<string, string>;
        expect(all).toEqual({ start: '1', slow: '1' });
      });

      it('last writer wins: a slow request that loaded before a destroy brings the session back', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set/user/alice`);
        const cookie = jar.header()!;
        const slow = fetch(`${server.url}/slow-set/late/1/g2`, { headers: { cookie } });
        await parkedAt(server.url, 'g2');
        await fetch(`${server.url}/destroy`, { headers: { cookie } });
        expect(await (await fetch(`${server.url}/get/user`, { headers: { cookie } })).text()).toBe('not set');
        await fetch(`${server.url}/release/g2`);
        await slow;
        expect(await (await fetch(`${server.url}/get/user`, { headers: { cookie } })).text()).toBe('alice');
      });
      return;
    }

    it('50 concurrent requests on one session, each setting a different key, leave all 50 keys', async () => {
      const all = await fiftyWriters(server.url);
      for (let i = 0; i < 50; i++) expect(all[`k${i}`], `key k${i}`).toBe(String(i));
    });

    it('20 clients writing one session in one process: no request fails, even with maxConflictRetries: 1, and every client\'s last write is kept', async () => {
      // Writes of one session from one process take turns (src/engine/write-queue.ts): each
      // loses at most one compare-and-set, to a write that landed after it read, and its
      // merge then cannot lose again. Without the turns, writers racing each other exhaust
      // any number of retries now and then (24 of 6,000 requests with 10 on Redis); with
      // one retry, most requests would fail.
      const clients = 20;
      const rounds = 3;
      const jar = new CookieJar();
      await jar.fetch(`${oneRetry.url}/set/start/1`);
      const cookie = jar.header()!;
      const failures: string[] = [];
      await Promise.all(
        Array.from({ length: clients }, async (_, client) => {
          // One client's requests follow each other, so its key's last value is its last request's.
          for (let round = 1; round <= rounds; round++) {
            const response = await fetch(`${oneRetry.url}/set/c${client}/${round}`, { headers: { cookie } });
            if (response.status !== 200) failures.push(`${response.status} ${(await response.text()).slice(0, 300)}`);
          }
        }),
      );
      expect(failures, `failed requests:\n${failures.join('\n')}`).toEqual([]);
      const all = (await (await jar.fetch(`${oneRetry.url}/all`)).json()) as Record<string, string>;
      for (let client = 0; client < clients; client++) expect(all[`c${client}`], `key c${client}`).toBe(String(rounds));
      expect(all.start).toBe('1');
      // Each write waits for the ones before it: on a slow store (miniflare on a loaded machine) that adds up.
    }, 180_000);

    it('10 sessions read from one record and written in the same instant all land, with maxConflictRetries: 1', async () => {
      // Every write but the first loses its compare-and-set here: what matters is that the
      // merges after it take turns (a network store's write queue) or read and write at
      // once (memory, SQLite), so that no merge loses again to a writer of this process.
      const engine = new SessionEngine<Record<string, unknown>>({ store, secret: 'http-suite-secret-0123456789', logger: quiet, maxConflictRetries: 1 });
      const first = await engine.load(undefined);
      first.start = 1;
      const created = engine.commit(first);
      await created.persist();
      const cookie = created.setCookies[0]!.split(';')[0]!;
      const sessions = await Promise.all(Array.from({ length: 10 }, () => engine.load(cookie)));
      sessions.forEach((session, index) => {
        session[`k${index}`] = index;
      });
      const results = await Promise.allSettled(sessions.map((session) => engine.commit(session).persist()));
      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      const after = Object.fromEntries(Object.entries(await engine.load(cookie)));
      expect(after).toEqual({ start: 1, k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9 });
    });

    it('a key deleted by one request is not brought back by concurrent writers of other keys', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set/keep/1`);
      await jar.fetch(`${server.url}/set/doomed/1`);
      const cookie = jar.header()!;
      await Promise.all([
        fetch(`${server.url}/delete/doomed`, { headers: { cookie } }),
        ...Array.from({ length: 10 }, (_, i) => fetch(`${server.url}/set/other${i}/${i}`, { headers: { cookie } })),
      ]);
      const all = (await (await jar.fetch(`${server.url}/all`)).json()) as Record<string, string>;
      expect(all.doomed).toBeUndefined();
      expect(all.keep).toBe('1');
      for (let i = 0; i < 10; i++) expect(all[`other${i}`]).toBe(String(i));
    });

    it('a session destroyed during concurrent writes stays destroyed', async () => {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set/user/alice`);
      const cookie = jar.header()!;
      await Promise.all([
        fetch(`${server.url}/destroy`, { headers: { cookie } }),
        ...Array.from({ length: 10 }, (_, i) => fetch(`${server.url}/set/late${i}/${i}`, { headers: { cookie } })),
      ]);
      // Whatever order they ran in, the old id must not lead back to alice.
      const replay = await fetch(`${server.url}/get/user`, { headers: { cookie } });
      expect(await replay.text()).toBe('not set');
    });
  });
}
