/**
 * cachingStore over a real PostgreSQL (test/servers/postgres.ts): memory over PostgreSQL, and
 * Redis over PostgreSQL (test/servers/redis.ts), each through the store contract and the HTTP
 * suite; then two application instances, each with a caching store of its own over one Redis
 * and one PostgreSQL (what two processes share): no lost update among 50 concurrent writers
 * spread over both, and a revocation made through one seen by the other at its next request.
 */
import express from 'express';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { cachingStore, type CachingStore } from '../../src/stores/caching/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { sqlStore } from '../../src/stores/sql/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { CookieJar, listen, type TestServer } from '../helpers/http.js';
import { POSTGRES_REQUIRES, startPostgres } from '../servers/postgres.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';

const CAPABILITIES = ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'keys', 'getExpired'] as const;
const quiet = { warn: () => {}, info: () => {} };

describeWithServer('caching store on PostgreSQL', { requires: POSTGRES_REQUIRES, start: () => startPostgres() }, (postgres) => {
  /** A pg Pool of its own, and how to end it. */
  const poolFor = () => {
    const pool = new pg.Pool({ connectionString: postgres().connectionString, max: 5 });
    pool.on('error', () => {});
    return pool;
  };

  const memoryOverPostgres = async () => {
    const pool = poolFor();
    const store = cachingStore({ cache: new MemoryStore(), store: sqlStore({ client: pool, table: 'memory_cached' }) });
    return { store, cleanup: () => pool.end() };
  };
  describeStore('caching: memory over PostgreSQL', memoryOverPostgres, CAPABILITIES);
  describeSessionsOverHttp('caching: memory over PostgreSQL', memoryOverPostgres);

  describeWithServer('and Redis', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
    /** One process's caching store: its own Redis client and pg Pool, over the shared servers. */
    const redisOverPostgres = async (): Promise<{ store: CachingStore; cleanup: () => Promise<void> }> => {
      const client = createClient({ url: redis().url });
      client.on('error', () => {});
      await client.connect();
      const pool = poolFor();
      const store = cachingStore({ cache: new RedisStore({ client }), store: sqlStore({ client: pool, table: 'redis_cached' }) });
      return {
        store,
        cleanup: async () => {
          await client.close();
          await pool.end();
        },
      };
    };
    describeStore('caching: Redis over PostgreSQL', redisOverPostgres, CAPABILITIES);
    describeSessionsOverHttp('caching: Redis over PostgreSQL', redisOverPostgres);

    describe('two instances, each with its own caching store, over one Redis and one PostgreSQL', () => {
      const instances: { server: TestServer; cleanup: () => Promise<void> }[] = [];
      beforeAll(async () => {
        for (let i = 0; i < 2; i++) {
          const { store, cleanup } = await redisOverPostgres();
          instances.push({ server: await listen(instanceApp(store)), cleanup });
        }
      }, 60_000);
      afterAll(async () => {
        for (const { server, cleanup } of instances.splice(0)) {
          await server.close();
          await cleanup();
        }
      });
      const url = (instance: number) => instances[instance]!.server.url;

      it('50 concurrent requests on one session, spread over both instances, each setting its own key: all 50 keys are kept', async () => {
        const jar = new CookieJar();
        await jar.fetch(`${url(0)}/set/start/1`);
        const cookie = jar.header()!;
        await fetch(`${url(1)}/all`, { headers: { cookie } }); // the session is read (and cached) by both
        const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${url(i % 2)}/set/k${i}/${i}`, { headers: { cookie } })));
        const failures = await Promise.all(responses.filter((r) => r.status !== 200).map(async (r) => `${r.status} ${await r.text()}`));
        expect(failures).toEqual([]);
        for (const instance of [0, 1]) {
          const all = (await (await fetch(`${url(instance)}/all`, { headers: { cookie } })).json()) as Record<string, string>;
          for (let i = 0; i < 50; i++) expect(all[`k${i}`], `key k${i} through instance ${instance}`).toBe(String(i));
        }
      }, 120_000);

      it("a user's sessions revoked through one instance: the other's next request finds its session gone", async () => {
        const jar = new CookieJar();
        await jar.fetch(`${url(0)}/login/ada`);
        const cookie = jar.header()!;
        // Both instances have read the session: the shared cache holds it.
        expect(await (await fetch(`${url(1)}/whoami`, { headers: { cookie } })).text()).toBe('ada');
        expect(await (await fetch(`${url(0)}/whoami`, { headers: { cookie } })).text()).toBe('ada');
        expect(await (await fetch(`${url(0)}/revoke/ada`)).text()).toBe('1');
        expect(await (await fetch(`${url(1)}/whoami`, { headers: { cookie } })).text()).toBe('nobody');
      });
    });
  });
});

/** One instance of the application: a counter-free key-value session, a login and "log out everywhere". */
function instanceApp(store: CachingStore) {
  const sessions = sessionkit({ store, secret: 'caching-two-instances-secret-0123', logger: quiet, userField: 'user' });
  const application = express();
  application.use(sessions);
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  application.get('/set/:key/:value', (req, res) => {
    data(req)[req.params.key] = req.params.value;
    res.send('ok');
  });
  application.get('/all', (req, res) => {
    res.json(data(req));
  });
  application.get('/login/:user', (req, res) => {
    req.session.regenerate();
    data(req).user = req.params.user;
    res.send('ok');
  });
  application.get('/whoami', (req, res) => {
    res.send(typeof data(req).user === 'string' ? data(req).user : 'nobody');
  });
  application.get('/revoke/:user', async (req, res) => {
    res.send(String(await sessions.revokeSessions(req.params.user)));
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return application;
}
