import { MemcacheClient } from 'memcache-client';
import { MemcacheClient as MemcacheClientOldest } from 'memcache-client-oldest';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/store.js';
import { MemcachedStore } from '../../src/stores/memcached/index.js';
import { DEFAULT_MAX_VALUE_BYTES, exptime, memcachedKey } from '../../src/stores/memcached/value.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeOutages } from '../conformance/outage-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { encryptedFixture } from '../helpers/encrypted.js';
import { CookieJar, listen } from '../helpers/http.js';
import { MEMCACHED_REQUIRES, startMemcached, type MemcachedServer } from '../servers/memcached.js';
import { describeWithServer } from '../servers/suite.js';
import { silentServer } from '../helpers/silent-server.js';
import { valueApp } from '../helpers/value-app.js';

const CAPABILITIES = ['create', 'setIf', 'touch', 'deleteExpired'] as const;
// Memcached keeps time in whole seconds.
const SUITE_OPTIONS = { expiryGraceMs: 1100, expiresNatively: true };
const quiet = { warn: () => {}, info: () => {} };
const DAY_S = 86_400;
/** The remedy every failure of an unreachable server names. */
const REMEDY = /\[sessionkit:memcached\] .*Is memcached at 127\.0\.0\.1:\d+ up and reachable\?/;
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => (data ? new TextDecoder().decode(data) : undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const freshKey = (label = 'k') => `session:mc-${process.pid}-${Date.now()}-${counter++}-${label}`;

/** Seconds memcached itself has left on an item (meta get), or undefined when it holds none. */
async function serverTtl(server: MemcachedServer, key: string): Promise<number | undefined> {
  const reply = await server.request(`mg ${memcachedKey(key)} t\r\n`);
  const match = /^HD t(-?\d+)/.exec(reply);
  if (match) return Number(match[1]);
  expect(reply).toBe('EN\r\n');
  return undefined;
}

describeWithServer('memcached', { requires: MEMCACHED_REQUIRES, start: () => startMemcached() }, (memcached) => {
  const borrowedClient = async () => {
    const client = new MemcacheClient({ server: memcached().address });
    return { store: new MemcachedStore({ client }), cleanup: async () => client.shutdown() };
  };
  const ownClients = async () => {
    const store = new MemcachedStore({ servers: memcached().address });
    return { store, cleanup: () => store.close() };
  };
  // Another application's 5-byte value, set over memcached's own text protocol.
  const plantForeignValue = async (key: string) => {
    expect(await memcached().request(`set ${memcachedKey(key)} 0 60 5\r\nhello\r\n`)).toBe('STORED\r\n');
  };
  describeStore('memcached (your MemcacheClient)', borrowedClient, CAPABILITIES, { ...SUITE_OPTIONS, plantForeignValue });
  describeStore('memcached (servers: the store makes its client)', ownClients, CAPABILITIES, SUITE_OPTIONS);
  describeSessionsOverHttp('memcached (your MemcacheClient)', borrowedClient);
  // The oldest 1.x memcache-client (1.0.2, package.json's memcache-client-oldest alias).
  describeStore('memcached (your MemcacheClient 1.0.2, the oldest claimed)', async () => {
    const client = new MemcacheClientOldest({ server: memcached().address });
    return { store: new MemcachedStore({ client }), cleanup: async () => client.shutdown() };
  }, CAPABILITIES, SUITE_OPTIONS);
  describeSessionsOverHttp('memcached (servers)', ownClients);
  // With `encrypt`: the store behind the wrapper that seals its records (src/encryption/).
  describeStore('memcached (your MemcacheClient), encrypted', encryptedFixture(borrowedClient), CAPABILITIES, SUITE_OPTIONS);
  describeSessionsOverHttp('memcached (your MemcacheClient), encrypted', encryptedFixture(borrowedClient));

  describe('commands per request, from the server\'s own stats', () => {
    const COUNTERS = ['cmd_get', 'cmd_set', 'cmd_touch', 'cas_hits', 'cas_badval', 'cas_misses', 'delete_hits', 'delete_misses'];
    async function counters(): Promise<Record<string, number>> {
      const stats = await memcached().stats();
      return Object.fromEntries(COUNTERS.map((name) => [name, Number(stats[name])]));
    }
    async function measure(action: () => Promise<unknown>): Promise<Record<string, number>> {
      const before = await counters();
      await action();
      const after = await counters();
      return Object.fromEntries(COUNTERS.map((name) => [name, after[name]! - before[name]!]));
    }
    const none = Object.fromEntries(COUNTERS.map((name) => [name, 0]));

    async function app(touchAfter: string | number) {
      const store = new MemcachedStore({ servers: memcached().address });
      const server = await listen(valueApp({ store, secret: 'memcached-count-secret-0123456789', touchAfter, logger: quiet }));
      return {
        url: server.url,
        close: async () => {
          await server.close();
          await store.close();
        },
      };
    }

    it('a new session is one add (no read: there was no cookie)', async () => {
      const { url, close } = await app('1h');
      try {
        const jar = new CookieJar();
        expect(await measure(() => jar.fetch(`${url}/set/1`))).toEqual({ ...none, cmd_set: 1 });
      } finally {
        await close();
      }
    });

    it('an unmodified request is exactly one gets and nothing else', async () => {
      const { url, close } = await app('1h');
      try {
        const jar = new CookieJar();
        await jar.fetch(`${url}/set/1`);
        const counted = await measure(async () => {
          for (let i = 0; i < 5; i++) expect((await jar.fetch(`${url}/get`)).status).toBe(200);
        });
        expect(counted).toEqual({ ...none, cmd_get: 5 });
      } finally {
        await close();
      }
    });

    it('a change is the load\'s gets and one cas (the cas unique is remembered from the load)', async () => {
      const { url, close } = await app('1h');
      try {
        const jar = new CookieJar();
        await jar.fetch(`${url}/set/1`);
        // cmd_set counts the cas too: memcached counts every storage command there.
        expect(await measure(() => jar.fetch(`${url}/set/2`))).toEqual({ ...none, cmd_get: 1, cmd_set: 1, cas_hits: 1 });
      } finally {
        await close();
      }
    });

    it('a due refresh is a gets and one cas of the same data, never memcached touch', async () => {
      const { url, close } = await app(0);
      try {
        const jar = new CookieJar();
        await jar.fetch(`${url}/set/1`);
        expect(await measure(() => jar.fetch(`${url}/get`))).toEqual({ ...none, cmd_get: 2, cmd_set: 1, cas_hits: 1 });
      } finally {
        await close();
      }
    });
  });

  describe('lifetimes over 30 days (memcached would read them as absolute times)', () => {
    it('a 31-day record is kept by the server for 31 days', async () => {
      const store = new MemcachedStore({ servers: memcached().address });
      try {
        const key = freshKey('31d');
        const expiresAt = Date.now() + 31 * DAY_S * 1000;
        await store.set(key, { data: bytes('long'), expiresAt });
        await sleep(1100); // past memcached's next clock tick
        const read = await store.get(key);
        expect(text(read?.data)).toBe('long');
        expect(read?.expiresAt).toBe(expiresAt);
        const ttl = await serverTtl(memcached(), key);
        expect(ttl).toBeGreaterThan(31 * DAY_S - 10);
        expect(ttl).toBeLessThanOrEqual(31 * DAY_S + 3);
      } finally {
        await store.close();
      }
    });

    it('the default 31-day lifetime works through the engine', async () => {
      const store = new MemcachedStore({ servers: memcached().address });
      const server = await listen(valueApp({ store, logger: quiet })); // lifetime: the default, 31 days
      try {
        const jar = new CookieJar();
        await jar.fetch(`${server.url}/set/alice`);
        await sleep(1100);
        expect(await (await jar.fetch(`${server.url}/get`)).text()).toBe('alice');
        const id = jar.cookies.get('session')!;
        expect(await serverTtl(memcached(), `session:${id}`)).toBeGreaterThan(31 * DAY_S - 10);
      } finally {
        await server.close();
        await store.close();
      }
    });

    it('exptime: relative up to 30 days, absolute seconds beyond, never early', () => {
      const now = 1_700_000_000_000;
      expect(exptime(now + 1, now)).toBe(2);
      expect(exptime(now + 1100, now)).toBe(3);
      expect(exptime(now - 5000, now)).toBe(1);
      expect(exptime(now + 30 * DAY_S * 1000 - 1000, now)).toBe(30 * DAY_S);
      expect(exptime(now + 31 * DAY_S * 1000, now)).toBe(now / 1000 + 31 * DAY_S + 1);
    });
  });

  describe('records whose header expired while the server still keeps them', () => {
    it('read as absent; create takes their place; setIf and touch leave them', async () => {
      const client = new MemcacheClient({ server: memcached().address });
      const store = new MemcachedStore({ client });
      try {
        const key = freshKey('dead');
        // Just past a whole second: memcached gets exptime 4 s (rounded up, plus one), so
        // after our 2 s expiry it still holds the item for about 2 s (1 s at worst: its clock
        // may drop an item a second early), and the write and read before have 2 s.
        const expiresAt = Date.now() + 2001;
        await store.set(key, { data: bytes('old'), expiresAt });
        const version = (await store.get(key))!.version!;
        await sleep(expiresAt - Date.now() + 50);
        expect(await serverTtl(memcached(), key)).toBeGreaterThan(0); // still on the server
        expect(await store.get(key)).toBeUndefined();
        expect(await store.setIf(key, { data: bytes('zombie'), expiresAt: Date.now() + 60_000 }, version)).toBe(false);
        await store.touch(key, Date.now() + 60_000);
        expect(await store.get(key)).toBeUndefined();
        expect(await store.create(key, { data: bytes('new'), expiresAt: Date.now() + 60_000 })).toBe(true);
        expect(text((await store.get(key))?.data)).toBe('new');
      } finally {
        client.shutdown();
      }
    });
  });

  describe('keys memcached cannot take are hashed', () => {
    it('unicode, spaces, over 250 bytes and "#": a readable prefix, a SHA-256, distinct items', async () => {
      const store = new MemcachedStore({ servers: memcached().address });
      try {
        const long = `session:${'x'.repeat(300)}`;
        const keys = [freshKey('ключ-🔑'), `${long}-a`, `${long}-b`, freshKey('with space'), freshKey('a#b'), freshKey('plain')];
        for (const [i, key] of keys.entries()) await store.set(key, { data: bytes(`v${i}`), expiresAt: Date.now() + 60_000 });
        for (const [i, key] of keys.entries()) expect(text((await store.get(key))?.data)).toBe(`v${i}`);

        const mapped = keys.map(memcachedKey);
        expect(new Set(mapped).size).toBe(keys.length);
        for (const itemKey of mapped) expect(itemKey).toMatch(/^[\x21-\x7e]{1,250}$/);
        expect(mapped[5]).toBe(keys[5]); // a key memcached takes is used as it is
        expect(mapped[0]).toMatch(/^session:mc-\d+-\d+-\d+-#[\w-]{43}$/);
        expect(mapped[1]).toMatch(new RegExp(`^session:x{${250 - 44 - 8}}#[\\w-]{43}$`));
        // The items are really there under those names, and the raw key is not.
        for (const key of keys) expect(await serverTtl(memcached(), key)).toBeGreaterThan(0);
        expect(await memcached().request(`mg ${keys[4]} t\r\n`)).toBe('EN\r\n');
      } finally {
        await store.close();
      }
    });
  });

  describe('size limits', () => {
    it('a session over maxValueBytes is refused, naming its size and the limit', async () => {
      const store = new MemcachedStore({ servers: memcached().address });
      try {
        const key = freshKey('big');
        const record = { data: new Uint8Array(DEFAULT_MAX_VALUE_BYTES + 1), expiresAt: Date.now() + 60_000 };
        const error = await store.set(key, record).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect((error as Error).message).toMatch(
          new RegExp(`\\[sessionkit:memcached\\] .* is ${DEFAULT_MAX_VALUE_BYTES + 1} bytes, more than maxValueBytes \\(${DEFAULT_MAX_VALUE_BYTES} bytes\\)`),
        );
        await expect(store.create(key, record)).rejects.toThrow(/more than maxValueBytes/);
        expect(await store.get(key)).toBeUndefined();
      } finally {
        await store.close();
      }
    });

    it('the default limit fits memcached\'s default 1 MiB item, even under the longest key', async () => {
      const store = new MemcachedStore({ servers: memcached().address });
      try {
        const key = `session:${'k'.repeat(242)}`;
        expect(memcachedKey(key)).toHaveLength(250);
        const data = new Uint8Array(DEFAULT_MAX_VALUE_BYTES).fill(7);
        await store.set(key, { data, expiresAt: Date.now() + 60_000 });
        expect((await store.get(key))?.data.length).toBe(DEFAULT_MAX_VALUE_BYTES);
      } finally {
        await store.close();
      }
    });

    it('the server\'s own "object too large" becomes a clear StoreError, and the connection stays usable', async () => {
      const store = new MemcachedStore({ servers: memcached().address, maxValueBytes: 4 * 1024 * 1024 });
      try {
        const key = freshKey('too-large');
        const error = await store.set(key, { data: new Uint8Array(1536 * 1024), expiresAt: Date.now() + 60_000 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect((error as Error).message).toMatch(/refused the session under session:<handle [\w-]{22}> \(1572880 bytes with the store's header\) as larger than its item size limit/);
        expect((error as Error).message).not.toContain(key.slice('session:'.length)); // the id would be a usable cookie
        expect((error as Error).message).toMatch(/SERVER_ERROR object too large for cache/);
        await store.set(key, { data: bytes('small'), expiresAt: Date.now() + 60_000 });
        expect(text((await store.get(key))?.data)).toBe('small');
      } finally {
        await store.close();
      }
    });
  });

  describe('several servers', () => {
    it('each key lives on one server, whatever order the servers are listed in', async () => {
      const other = await startMemcached();
      const servers = [memcached().address, other.address];
      const store = new MemcachedStore({ servers });
      const reversed = new MemcachedStore({ servers: [...servers].reverse().join(',') });
      try {
        const keys = Array.from({ length: 40 }, (_, i) => freshKey(`spread${i}`));
        await Promise.all(keys.map((key, i) => store.set(key, { data: bytes(`v${i}`), expiresAt: Date.now() + 60_000 })));
        for (const [i, key] of keys.entries()) expect(text((await reversed.get(key))?.data)).toBe(`v${i}`);
        const onFirst = await Promise.all(keys.map(async (key) => (await serverTtl(memcached(), key)) !== undefined));
        const onOther = await Promise.all(keys.map(async (key) => (await serverTtl(other, key)) !== undefined));
        expect(onFirst.map((here, i) => here !== onOther[i])).toEqual(keys.map(() => true)); // exactly one server each
        expect(onFirst.filter(Boolean).length).toBeGreaterThan(5);
        expect(onOther.filter(Boolean).length).toBeGreaterThan(5);
      } finally {
        await store.close();
        await reversed.close();
        await other.stop();
      }
    });

    it('refuses a MemcacheClient with several servers (it picks one at random per command)', () => {
      const client = new MemcacheClient({ server: { servers: [{ server: '127.0.0.1:1' }, { server: '127.0.0.1:2' }] } });
      expect(() => new MemcachedStore({ client })).toThrow(/several servers.*Pass `servers: \[\.\.\.\]` instead/);
    });
  });

  // Last: a restart brings the server back empty.
  const variants = [
    {
      kind: 'your MemcacheClient',
      open: async (timeout: number) => {
        const client = new MemcacheClient({ server: memcached().address });
        return { store: new MemcachedStore({ client, timeout }), close: async () => client.shutdown() };
      },
    },
    {
      kind: 'servers',
      open: async (timeout: number) => {
        const store = new MemcachedStore({ servers: memcached().address, timeout });
        return { store, close: () => store.close() };
      },
    },
  ];
  for (const { kind, open } of variants) {
    describeOutages(`memcached (${kind})`, memcached, open, {
      keepsData: false,
      recoveryMs: 10_000,
      down: { read: REMEDY, write: REMEDY },
      // Queued behind the stuck read: the store's timer, or the client dropping the connection
      // when the read has waited past its cmdTimeout, whichever comes first.
      frozen: {
        write: /\[sessionkit:memcached\] write (did not answer within 1000 ms|failed: Command timeout\. Is memcached at)/,
        request: /\[sessionkit:memcached\] read (did not answer within 1000 ms|failed: Command timeout\. Is memcached at)/,
      },
    });
  }
});

describe('memcached default client', () => {
  it('says once that it connects to 127.0.0.1:11211, and fails within the timeout when nothing answers there', async () => {
    // The test holds the default port itself with a server that never answers, so the check
    // runs on every machine (a memcached listening there would make it fail, not skip).
    const silent = await silentServer(11211);
    const lines: string[] = [];
    const store = new MemcachedStore({ timeout: 500, logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m) } });
    try {
      expect(lines).toEqual([expect.stringMatching(/no client given, connecting to 127\.0\.0\.1:11211/)]);
      const started = Date.now();
      await expect(store.get('session:x')).rejects.toThrow(/\[sessionkit:memcached\] read (did not answer within 500 ms|failed: Command timeout\. Is memcached at 127\.0\.0\.1:11211 up)/);
      // Bounded by the 500 ms given, not by the 5 s default; generous for a loaded machine.
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await store.close();
      await silent.close();
    }
  });

  it('says nothing when servers are given', async () => {
    const lines: string[] = [];
    await new MemcachedStore({ servers: '127.0.0.1:1', logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m) } }).close();
    expect(lines).toEqual([]);
  });

  it('rejects what is not a MemcacheClient, bad server strings and contradictions', () => {
    expect(() => new MemcachedStore({ client: {} })).toThrow(/must be a MemcacheClient/);
    expect(() => new MemcachedStore({ servers: 'localhost' })).toThrow(/"localhost" is not "host:port"/);
    expect(() => new MemcachedStore({ servers: [] })).toThrow(/empty/);
    expect(() => new MemcachedStore({ servers: '127.0.0.1:1', client: new MemcacheClient({ server: '127.0.0.1:1' }) })).toThrow(/not both/);
  });
});
