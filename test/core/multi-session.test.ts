import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { multiSession, type MultiSessionEntry } from '../../src/compose/multi-session.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { RedisStore } from '../../src/stores/redis/index.js';
import { CookieJar, type TestServer } from '../helpers/http.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';
import { seedsExample, seedsExampleApp } from '../helpers/seeds-example.js';

const SECRET = 'multi-session-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };
const REDIS_PREFIX = 'myapp:session:';

const seedsSessions = (client: object) =>
  seedsExample(SECRET, { store: new RedisStore({ client }), keyPrefix: REDIS_PREFIX, secret: SECRET, lifetime: '1d' });
const app = (sessions: MultiSessionEntry[]) => seedsExampleApp(sessions, quiet);

const names = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((line) => line.slice(0, line.indexOf('=')))
    .sort();
const cookieLine = (response: Response, name: string) => response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
/** The id inside a signed id cookie (`id.signature`). */
const idOf = (jar: CookieJar, name: string) => jar.cookies.get(name)!.split('.')[0]!;

describeWithServer('multiSession: the seeds example, with the session part in Redis', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
  let server: TestServer;
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    client = createClient({ url: redis().url });
    client.on('error', () => {});
    await client.connect();
    server = await app(seedsSessions(client));
  });
  afterAll(async () => {
    await server?.close();
    await client?.close();
  });
  beforeEach(async () => {
    await redis().command('FLUSHALL');
  });

  /** Every key in Redis, read with the harness's own client, not the store's. */
  const keys = async () => ((await redis().command('KEYS', '*')) as string[]).sort();
  const value = async (key: string) => (await redis().command('GET', key)) as string | null;

  it('routes each field to its own cookie and store, and sets only the changed cookies', async () => {
    const jar = new CookieJar();
    expect(names(await jar.fetch(`${server.url}/set/csrf_token/csrf-t0k3n-value`))).toEqual(['csrf']);
    expect(await keys()).toEqual([]); // a csrf token alone writes nothing to Redis
    // Logging in regenerates every session: the csrf cookie is renewed, the still empty
    // 'data' part sends nothing.
    expect(names(await jar.fetch(`${server.url}/login/user-1042`))).toEqual(['csrf', 'session']);
    expect(names(await jar.fetch(`${server.url}/set/theme/dark`))).toEqual(['data']);
    const read = await jar.fetch(`${server.url}/all`);
    expect(names(read)).toEqual([]);
    expect(await read.json()).toEqual({
      csrf_token: 'csrf-t0k3n-value',
      user_id: 'user-1042',
      user_data: { name: 'Ada Lovelace', roles: ['admin'] },
      theme: 'dark',
    });

    // In Redis: one key, keyPrefix + the 'session' cookie's id, holding user_id and user_data only.
    const key = `${REDIS_PREFIX}${idOf(jar, 'session')}`;
    expect(await keys()).toEqual([key]);
    const stored = (await value(key))!;
    expect(stored).toContain('user-1042');
    expect(stored).toContain('Ada Lovelace');
    expect(stored).not.toContain('csrf-t0k3n-value');
    expect(stored).not.toContain('dark');
    const ttl = (await redis().command('PTTL', key)) as number;
    expect(ttl).toBeGreaterThan(86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);
    // The entry's own lifetime also sets its cookie's Max-Age; the sealed ones keep the default.
    const changed = await jar.fetch(`${server.url}/set/user_id/user-7`);
    expect(names(changed)).toEqual(['session']);
    expect(cookieLine(changed, 'session')).toMatch(/Max-Age=86400(;|$)/);
    expect(await value(key)).toContain('user-7');

    // The sealed cookies hold their fields encrypted: no plaintext in the browser.
    expect(jar.cookies.get('csrf')).not.toContain('t0k3n');
    expect(jar.cookies.get('data')).not.toContain('dark');
  });

  it('regenerate and destroy act on every session at once, and on Redis', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/csrf_token/a`);
    await jar.fetch(`${server.url}/login/user-7`);
    await jar.fetch(`${server.url}/set/theme/light`);
    const before = new Map(jar.cookies);
    const oldKey = `${REDIS_PREFIX}${idOf(jar, 'session')}`;
    expect(await keys()).toEqual([oldKey]);

    const regenerated = await jar.fetch(`${server.url}/regenerate`);
    expect(names(regenerated)).toEqual(['csrf', 'data', 'session']);
    for (const [name, cookie] of before) expect(jar.cookies.get(name), name).not.toBe(cookie);
    const newKey = `${REDIS_PREFIX}${idOf(jar, 'session')}`;
    expect(await keys()).toEqual([newKey]); // the old id's record is deleted
    expect(await value(newKey)).toContain('user-7');
    expect(await (await jar.fetch(`${server.url}/all`)).json()).toEqual({
      csrf_token: 'a',
      user_id: 'user-7',
      user_data: { name: 'Ada Lovelace', roles: ['admin'] },
      theme: 'light',
    });

    const destroyed = await jar.fetch(`${server.url}/destroy`);
    expect(names(destroyed)).toEqual(['csrf', 'data', 'session']);
    expect(jar.cookies.size).toBe(0);
    expect(await keys()).toEqual([]);
    expect(await (await jar.fetch(`${server.url}/all`)).json()).toEqual({});
  });

  it('a tampered sealed cookie is a fresh part, the others stay', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/csrf_token/x`);
    await jar.fetch(`${server.url}/set/user_id/9`);
    const csrf = jar.cookies.get('csrf')!;
    jar.cookies.set('csrf', `${csrf.slice(0, 10)}${csrf[10] === 'A' ? 'B' : 'A'}${csrf.slice(11)}`);
    const response = await jar.fetch(`${server.url}/all`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user_id: '9' });
  });
});

describe('multiSession: each entry keeps its own options', () => {
  const shortStore = new MemoryStore();
  const browserStore = new MemoryStore();
  const defaultStore = new MemoryStore();
  let server: TestServer;
  beforeAll(async () => {
    server = await app([
      { cookie: { name: 'short', sameSite: 'strict' }, store: shortStore, lifetime: '1h', keyPrefix: 'short:', fields: ['a'] },
      { cookie: { name: 'browser' }, store: browserStore, permanent: false, keyPrefix: 'browser:', fields: ['b'] },
      { cookie: { name: 'typed' }, type: 'memory', keyPrefix: 'typed:', fields: ['t'] },
      { cookie: { name: 'sealed' }, store: cookieStore({ secret: SECRET }), lifetime: 1, fields: ['c'] },
      { cookie: { name: 'rest' }, store: defaultStore, fields: 'auto' },
    ]);
  });
  afterAll(() => server?.close());

  it("an entry's lifetime and permanent flag shape its cookie and its record", async () => {
    const jar = new CookieJar();
    const started = Date.now();
    const short = cookieLine(await jar.fetch(`${server.url}/set/a/1`), 'short')!;
    expect(short).toMatch(/Max-Age=3600(;|$)/);
    expect(short).toMatch(/SameSite=Strict/);
    expect((await shortStore.get(`short:${jar.cookies.get('short')}`))!.expiresAt).toBeGreaterThanOrEqual(started + 3_600_000);
    expect((await shortStore.get(`short:${jar.cookies.get('short')}`))!.expiresAt).toBeLessThan(started + 3_660_000);

    const browser = cookieLine(await jar.fetch(`${server.url}/set/b/2`), 'browser')!;
    expect(browser).not.toMatch(/Max-Age|Expires/i);
    expect(browser).toMatch(/SameSite=Lax/);

    const rest = cookieLine(await jar.fetch(`${server.url}/set/z/4`), 'rest')!;
    expect(rest).toMatch(/Max-Age=2678400(;|$)/);

    const sealed = cookieLine(await jar.fetch(`${server.url}/set/c/3`), 'sealed')!;
    expect(sealed).toMatch(/Max-Age=1(;|$)/);
    expect(await (await jar.fetch(`${server.url}/all`)).json()).toEqual({ a: '1', b: '2', c: '3', z: '4' });
    // The one-second lifetime is sealed inside: even replayed, that cookie stops opening.
    const replay = jar.header()!;
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await (await fetch(`${server.url}/all`, { headers: { cookie: replay } })).json()).toEqual({ a: '1', b: '2', z: '4' });
  });

  it("an entry's keyPrefix names its records; the default prefix is 'session:'", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/set/a/1`);
    await jar.fetch(`${server.url}/set/b/2`);
    await jar.fetch(`${server.url}/set/z/3`);
    const [shortId, browserId, restId] = ['short', 'browser', 'rest'].map((name) => jar.cookies.get(name)!);
    expect(await shortStore.get(`short:${shortId}`)).toBeDefined();
    expect(await shortStore.get(`session:${shortId}`)).toBeUndefined();
    expect(await browserStore.get(`browser:${browserId}`)).toBeDefined();
    expect(await browserStore.get(`session:${browserId}`)).toBeUndefined();
    expect(await defaultStore.get(`session:${restId}`)).toBeDefined();
    // Each record holds only its own field.
    const fieldsIn = async (store: MemoryStore, key: string) => (msgpackCodec.decode((await store.get(key))!.data) as { d: object }).d;
    expect(await fieldsIn(shortStore, `short:${shortId}`)).toEqual({ a: '1' });
    expect(await fieldsIn(browserStore, `browser:${browserId}`)).toEqual({ b: '2' });
    expect(await fieldsIn(defaultStore, `session:${restId}`)).toEqual({ z: '3' });
  });

  it("an entry's store given by type name ('memory') keeps its fields across requests", async () => {
    const jar = new CookieJar();
    const response = await jar.fetch(`${server.url}/set/t/typed-value`);
    expect(names(response)).toEqual(['typed']);
    expect(cookieLine(response, 'typed')).toMatch(/Max-Age=2678400(;|$)/);
    const typedOnly = `typed=${jar.cookies.get('typed')}`;
    expect(await (await fetch(`${server.url}/all`, { headers: { cookie: typedOnly } })).json()).toEqual({ t: 'typed-value' });
    // Not a cookie-held value: the cookie is a bare id, the data is server-side.
    expect(jar.cookies.get('typed')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await (await fetch(`${server.url}/all`, { headers: { cookie: `typed=${'A'.repeat(43)}` } })).json()).toEqual({});
  });
});

describe('multiSession: configuration errors name what to change', () => {
  const memory = () => new MemoryStore();
  it('a field claimed twice names the field and both sessions', () => {
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: memory(), fields: ['user_id'] },
          { cookie: { name: 'b' }, store: memory(), fields: { include: ['user_id'] } },
        ],
      }),
    ).toThrow(/'user_id' is claimed by both 'a' and 'b'/);
  });

  it('two catch-all sessions are refused', () => {
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: memory(), fields: 'auto' },
          { cookie: { name: 'b' }, store: memory(), fields: [] },
        ],
      }),
    ).toThrow(/'a' and 'b' both take every unclaimed field/);
  });

  it('two sessions may not share a cookie name', () => {
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: memory(), fields: ['x'] },
          { cookie: { name: 'a' }, store: memory(), fields: ['y'] },
        ],
      }),
    ).toThrow(/cookie name 'a'/);
  });

  it('without an auto entry, setting an unclaimed field fails at once, naming it', async () => {
    const manager = multiSession({ sessions: [{ cookie: { name: 'a' }, store: memory(), fields: ['x'] }], logger: quiet });
    const session = (await manager.load(undefined)) as unknown as Record<string, unknown>;
    session.x = 1;
    expect(() => {
      session.y = 2;
    }).toThrow(/field 'y'/);
  });

  it('{ exclude } takes every field but the excluded ones, which go to auto', async () => {
    const manager = multiSession({
      sessions: [
        { cookie: { name: 'a' }, store: memory(), fields: { exclude: ['big'] } },
        { cookie: { name: 'b' }, store: memory(), fields: 'auto' },
      ],
      logger: quiet,
    });
    expect(manager.ownerOf('anything')).toBe('a');
    expect(manager.ownerOf('big')).toBe('b');
  });
});
