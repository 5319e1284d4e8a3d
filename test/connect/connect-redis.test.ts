/**
 * fromConnectStore on connect-redis 9 (node-redis client) against a real redis-server:
 * the store contract with its honest capability list, the HTTP scenarios with
 * last-writer-wins, the expiry check that Redis's whole-second TTL would miss, and the key
 * layout under connect-redis's prefix.
 */
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { expect, it } from 'vitest';
import { fromConnectStore } from '../../src/connect/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { CookieJar, listen } from '../helpers/http.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';
import { plantExpressSession, sleep, touchingApp } from './helpers.js';

describeWithServer('connect-redis', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  let connectStore: ConnectRedisStore | undefined;
  const fixture = async () => {
    const client = createClient({ url: redis().url });
    client.on('error', () => {}); // connect-redis 9 leaves the client's errors to its owner
    await client.connect();
    connectStore = new ConnectRedisStore({ client });
    return { store: fromConnectStore(connectStore), cleanup: async () => { await client.close(); } };
  };
  describeStore('fromConnectStore(connect-redis)', fixture, ['touch'], { plantForeignValue: plantExpressSession(() => connectStore!) });
  describeSessionsOverHttp('fromConnectStore(connect-redis)', fixture, { compareAndSet: false });

  it('keeps sessionkit keys under connect-redis\'s prefix, with a Redis TTL from the written cookie, and our bytes in base64', async () => {
    const { store, cleanup } = await fixture();
    try {
      await store.set('session:abc', { data: Uint8Array.from([0, 255, 10, 13]), expiresAt: Date.now() + 30_000 });
      const ttl = Number(await redis().command('TTL', 'sess:session:abc'));
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
      const stored = JSON.parse(String(await redis().command('GET', 'sess:session:abc'))) as Record<string, unknown>;
      expect(stored.sessionkit).toMatchObject({ key: 'session:abc', data: Buffer.from([0, 255, 10, 13]).toString('base64') });
      expect(stored.cookie).toMatchObject({ expires: expect.any(String) as unknown, originalMaxAge: expect.any(Number) as unknown });
    } finally {
      await cleanup();
    }
  });

  it('Redis still holds a record for up to a second after its expiry; it reads as absent all the same', async () => {
    const { store, cleanup } = await fixture();
    try {
      await store.set('session:short', { data: Uint8Array.from([1]), expiresAt: Date.now() + 100 });
      await sleep(250);
      expect(Number(await redis().command('EXISTS', 'sess:session:short'))).toBe(1);
      expect(await store.get('session:short')).toBeUndefined();
    } finally {
      await cleanup();
    }
  });

  it('a refresh (touch) never writes back the stale copy a slow request loaded', async () => {
    const { store, cleanup } = await fixture();
    const server = await listen(touchingApp(store));
    try {
      const jar = new CookieJar();
      await jar.fetch(`${server.url}/set/1`);
      const slow = jar.fetch(`${server.url}/slow-get/500`);
      await sleep(150);
      await jar.fetch(`${server.url}/set/2`);
      expect(await (await slow).text()).toBe('1'); // it loaded the old value, and committed a touch
      expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('2');
    } finally {
      await server.close();
      await cleanup();
    }
  });
});
