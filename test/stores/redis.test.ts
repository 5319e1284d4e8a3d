import { Redis as IORedis, Cluster as IOCluster } from 'ioredis';
import { createClient, createCluster } from 'redis';
import IORedisOldest from 'ioredis-oldest';
import { createClient as createClientOldest } from 'redis-oldest';
import { describe, expect, it } from 'vitest';
import { handleOf } from '../../src/core/handle.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStoreLock } from '../conformance/lock-suite.js';
import { describeLockedSessions } from '../conformance/locked-sessions-suite.js';
import { describeUserSessions } from '../conformance/user-sessions-suite.js';
import { describeOutages } from '../conformance/outage-suite.js';
import { describePlantedRecords } from '../conformance/planted-record-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { encryptedFixture } from '../helpers/encrypted.js';
import { CookieJar, listen } from '../helpers/http.js';
import {
  REDIS_CLUSTER_REQUIRES,
  REDIS_REQUIRES,
  REDIS_SENTINEL_REQUIRES,
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  type RedisServer,
} from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';
import { valueApp } from '../helpers/value-app.js';
import { silentServer } from '../helpers/silent-server.js';

const CAPABILITIES = ['create', 'setIf', 'touch', 'deleteExpired', 'keys'] as const;
const NATIVE = { expiresNatively: true };
const quiet = { warn: () => {}, info: () => {} };

type Client = { kind: string; connect: (url: string) => Promise<{ client: object; close: () => Promise<unknown> }> };
const clients: Client[] = [
  {
    kind: 'node-redis',
    connect: async (url) => {
      const client = createClient({ url });
      client.on('error', () => {});
      await client.connect();
      return { client, close: () => client.close() };
    },
  },
  {
    kind: 'ioredis',
    connect: async (url) => {
      const client = new IORedis(url, { maxRetriesPerRequest: 1 });
      client.on('error', () => {}); // outages are part of the tests
      return { client, close: () => client.quit() };
    },
  },
];

describeWithServer('redis', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  const fixtureFor = (connect: Client['connect']) => async () => {
    const { client, close } = await connect(redis().url);
    return { store: new RedisStore({ client }), cleanup: async () => { await close(); } };
  };
  for (const { kind, connect } of clients) {
    const fixture = fixtureFor(connect);
    // Another application's key under a session's name: a list for one client, a hash for the other.
    const plantForeignValue = async (key: string) => {
      await (kind === 'ioredis' ? redis().command('HSET', key, 'field', 'other-app') : redis().command('LPUSH', key, 'other-app'));
    };
    describeStore(`redis (${kind})`, fixture, CAPABILITIES, { ...NATIVE, plantForeignValue });
    describeSessionsOverHttp(`redis (${kind})`, fixture);
    // The engine reads every client's records alike: one client covers planted records.
    if (kind === 'node-redis') describePlantedRecords(`redis (${kind})`, fixture);
  }
  // With `encrypt`: the store behind the wrapper that seals its records (src/encryption/).
  const encrypted = encryptedFixture(fixtureFor(clients[0]!.connect));
  describeStore('redis (node-redis), encrypted', encrypted, CAPABILITIES, NATIVE);
  describeSessionsOverHttp('redis (node-redis), encrypted', encrypted);
  describePlantedRecords('redis (node-redis), encrypted', encrypted);

  // The oldest version of each client the peer ranges claim (package.json's *-oldest aliases):
  // the store contract only, the HTTP scenarios above are the same code path.
  const oldestClients: Client[] = [
    {
      kind: 'node-redis 5.0.0',
      connect: async (url) => {
        const client = createClientOldest({ url });
        client.on('error', () => {});
        await client.connect();
        return { client, close: () => client.quit() };
      },
    },
    {
      kind: 'ioredis 5.0.0',
      connect: async (url) => {
        const client = new IORedisOldest(url, { maxRetriesPerRequest: 1 });
        client.on('error', () => {});
        return { client, close: () => client.quit() };
      },
    },
  ];
  for (const { kind, connect } of oldestClients) {
    describeStore(`redis (${kind}, the oldest claimed)`, fixtureFor(connect), CAPABILITIES, NATIVE);
  }

  describe('commands per request, from the server\'s own counters', () => {
    async function measured(touchAfter: string | number) {
      const client = createClient({ url: redis().url });
      await client.connect();
      const app = valueApp({ store: new RedisStore({ client }), secret: 'redis-count-secret-0123456789', touchAfter, logger: quiet });
      return { server: await listen(app), client };
    }
    const writes = (stats: Record<string, number>) =>
      ['set', 'pexpire', 'del', 'eval'].reduce((sum, command) => sum + (stats[command] ?? 0), 0);

    it('an unmodified request costs exactly one command and no write', async () => {
      const { server, client } = await measured('1h');
      try {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set/1`);
        await redis().resetStats();
        for (let i = 0; i < 5; i++) await jar.fetch(`${server.url}/get`);
        const stats = await redis().commandStats();
        expect(stats.evalsha).toBe(5);
        expect(writes(stats)).toBe(0);
        // The script's GET and PTTL run inside the one EVALSHA round trip.
        expect(stats.get).toBe(5);
      } finally {
        await server.close();
        await client.close();
      }
    });

    it('a due refresh is one PEXPIRE, never a rewrite', async () => {
      const { server, client } = await measured(0);
      try {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set/1`);
        await redis().resetStats();
        await jar.fetch(`${server.url}/get`);
        const stats = await redis().commandStats();
        expect(stats.pexpire).toBe(1);
        expect(stats.set ?? 0).toBe(0);
      } finally {
        await server.close();
        await client.close();
      }
    });
  });

  // Last: a restart brings the server back empty. The old client reconnects by itself.
  for (const { kind, connect } of clients) {
    describeOutages(
      `redis (${kind})`,
      redis,
      async (timeout) => {
        const { client, close } = await connect(redis().url);
        return { store: new RedisStore({ client, timeout }), close: async () => { await close(); } };
      },
      { timeout: 500, keepsData: false, recoveryMs: 10_000 },
    );
  }
});

describe('redis default client', () => {
  it('says once that it connects to 127.0.0.1:6379, and fails within the timeout when nothing answers there', async () => {
    // The test holds the default port itself with a server that never answers, so the check
    // runs on every machine (a Redis listening there would make it fail, not skip).
    const silent = await silentServer(6379);
    const lines: string[] = [];
    const store = new RedisStore({ timeout: 500, logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m) } });
    try {
      expect(lines[0]).toMatch(/connecting to redis:\/\/127\.0\.0\.1:6379/);
      const started = Date.now();
      await expect(store.get('session:x')).rejects.toThrow(/\[sessionkit:redis\] read did not answer within 500 ms/);
      // Bounded by the 500 ms given, not by the 5 s default; generous for a loaded machine.
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await store.close();
      await silent.close();
    }
  });

  it('rejects something that is not a Redis client', () => {
    expect(() => new RedisStore({ client: {} })).toThrow(/node-redis client or cluster, or an ioredis/);
  });
});

describeWithServer('redis cluster', { requires: REDIS_CLUSTER_REQUIRES, start: () => startRedisCluster() }, (cluster) => {
  const rootNode = () => cluster().nodes[0]!;
  const nodeRedisCluster = async () => {
    const client = createCluster({ rootNodes: [{ url: rootNode().url }] });
    client.on('error', () => {});
    await client.connect();
    return { store: new RedisStore({ client }), cleanup: async () => { await client.close(); } };
  };
  const ioredisCluster = async () => {
    const client = new IOCluster([{ host: rootNode().host, port: rootNode().port }]);
    return { store: new RedisStore({ client }), cleanup: async () => { await client.quit(); } };
  };
  describeStore('redis cluster (node-redis createCluster, one root node)', nodeRedisCluster, CAPABILITIES, NATIVE);
  describeStore('redis cluster (ioredis Cluster, one startup node)', ioredisCluster, CAPABILITIES, NATIVE);
  // The HTTP suite (which runs the lock suite for every other store) does not run on the cluster.
  describeStoreLock('redis cluster (node-redis createCluster)', nodeRedisCluster);
  describeStoreLock('redis cluster (ioredis Cluster)', ioredisCluster);
  // A user's index and the lock are single keys: nothing in them crosses slots.
  describeUserSessions('redis cluster (node-redis createCluster)', nodeRedisCluster);
  describeUserSessions('redis cluster (ioredis Cluster)', ioredisCluster);
  describeLockedSessions('redis cluster (node-redis createCluster)', nodeRedisCluster);
  describeLockedSessions('redis cluster (ioredis Cluster)', ioredisCluster);

  it('spreads sessions over the masters, following MOVED redirects', async () => {
    const client = new IOCluster([{ host: rootNode().host, port: rootNode().port }]);
    try {
      const store = new RedisStore({ client });
      for (let i = 0; i < 60; i++) await store.set(`session:spread-${i}`, { data: new Uint8Array([i]), expiresAt: Date.now() + 60_000 });
      for (let i = 0; i < 60; i++) expect((await store.get(`session:spread-${i}`))?.data[0]).toBe(i);
      const counts = await Promise.all(cluster().nodes.map(async (node: RedisServer) => Number(await node.command('DBSIZE'))));
      expect(counts.filter((count) => count > 0).length).toBe(cluster().nodes.length);
    } finally {
      await client.quit();
    }
  });

  for (const [kind, connect] of [['node-redis createCluster', nodeRedisCluster], ['ioredis Cluster', ioredisCluster]] as const) {
    it(`keys lists the keys of every master, from a client whose first command it is (${kind})`, async () => {
      const prefix = `session:listed-${kind.split(' ')[0]}-`;
      const written = Array.from({ length: 60 }, (_, i) => `${prefix}${i}`);
      const writer = await connect();
      let reader: Awaited<ReturnType<typeof connect>> | undefined;
      try {
        for (const key of written) await writer.store.set(key, { data: new Uint8Array([1]), expiresAt: Date.now() + 60_000 });
        // Connected just now: an ioredis Cluster does not know its nodes yet.
        reader = await connect();
        const listed: string[] = [];
        for await (const key of reader.store.keys(prefix)) listed.push(key);
        expect(listed.sort()).toEqual([...written].sort());
        const onEveryMaster = await Promise.all(
          cluster().nodes.map(async (node: RedisServer) => ((await node.command('KEYS', `${prefix}*`)) as unknown[]).length > 0),
        );
        expect(onEveryMaster, 'the keys are spread over every master').toEqual(cluster().nodes.map(() => true));
      } finally {
        await writer.cleanup();
        await reader?.cleanup();
      }
    });
  }
});

describeWithServer('redis sentinel', { requires: REDIS_SENTINEL_REQUIRES, start: () => startRedisSentinel() }, (sentinel) => {
  describeStore(
    'redis sentinel (ioredis)',
    async () => {
      const setup = sentinel();
      const client = new IORedis({ sentinels: setup.sentinels.map((s) => ({ host: s.host, port: s.port })), name: setup.masterName });
      return { store: new RedisStore({ client }), cleanup: async () => { await client.quit(); } };
    },
    CAPABILITIES,
    NATIVE,
  );
});


describeWithServer('redis: keys that are not sessions, clients without an error listener', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  const collecting = () => {
    const warnings: string[] = [];
    return { warnings, logger: { info: () => {}, warn: (message: string) => warnings.push(message) } };
  };

  for (const [type, plant] of [
    ['list', (key: string) => redis().command('LPUSH', key, 'other-app')],
    ['hash', (key: string) => redis().command('HSET', key, 'field', 'other-app')],
  ] as const) {
    it(`a ${type} under a session's key: that cookie gets a fresh session (200) with one warning, every time, not a 500`, async () => {
      const client = createClient({ url: redis().url });
      client.on('error', () => {});
      await client.connect();
      const { warnings, logger } = collecting();
      const keyPrefix = `foreign-${type}:`;
      const server = await listen(valueApp({ store: new RedisStore({ client, logger }), keyPrefix, logger: quiet }));
      try {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set/1`);
        const keys = (await redis().command('KEYS', `${keyPrefix}*`)) as string[];
        expect(keys).toHaveLength(1);
        // Another application sharing the database and the prefix takes the key over.
        await redis().command('DEL', keys[0]!);
        await plant(keys[0]!);
        const oldCookie = jar.header()!;
        for (let i = 1; i <= 2; i++) {
          const response = await fetch(`${server.url}/get`, { headers: { cookie: oldCookie } });
          expect(response.status).toBe(200);
          expect(await response.text()).toBe('not set');
          expect(warnings).toHaveLength(i);
        }
        // Named by prefix and handle: the session id itself (a usable cookie) stays out of the log.
        const id = keys[0]!.slice(keyPrefix.length);
        expect(warnings[0]).toContain(`${keyPrefix}<handle ${handleOf(id)}> holds a Redis ${type}, not a sessionkit session`);
        expect(warnings[0]).not.toContain(id);
        // The other application's key is left as it was.
        expect(await redis().command('TYPE', keys[0]!)).toBe(type);
      } finally {
        await server.close();
        await client.close();
      }
    });
  }

  it("warns once at construction when a node-redis client has no 'error' listener, saying what to add", () => {
    const { warnings, logger } = collecting();
    // Never connected: without a listener, a connection error would end this test process.
    new RedisStore({ client: createClient({ url: redis().url }), logger });
    expect(warnings).toEqual([expect.stringContaining("client.on('error'")]);
    expect(warnings[0]).toMatch(/has no 'error' listener, so the first connection error .* will end this process/);
  });

  it('does not warn for a node-redis client or cluster with a listener, nor for ioredis (it never throws on errors)', async () => {
    const { warnings, logger } = collecting();
    const client = createClient({ url: redis().url });
    client.on('error', () => {});
    new RedisStore({ client, logger });
    const cluster = createCluster({ rootNodes: [{ url: redis().url }] });
    cluster.on('error', () => {});
    new RedisStore({ client: cluster, logger });
    const ioredis = new IORedis(redis().url, { lazyConnect: true });
    new RedisStore({ client: ioredis, logger });
    expect(warnings).toEqual([]);
    ioredis.disconnect();
  });

  it("warns for a node-redis cluster without an 'error' listener", () => {
    const { warnings, logger } = collecting();
    new RedisStore({ client: createCluster({ rootNodes: [{ url: redis().url }] }), logger });
    expect(warnings).toHaveLength(1);
  });
});
