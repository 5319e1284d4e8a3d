import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiSession } from '../../src/compose/multi-session.js';
import { handleOf } from '../../src/core/handle.js';
import { hashedId } from '../../src/core/hashed-id.js';
import { SessionConfigError } from '../../src/core/errors.js';
import { SessionEngine } from '../../src/engine/engine.js';
import { generateId } from '../../src/engine/cookie/ids.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, type TestServer } from '../helpers/http.js';
import { seedsExample, seedsExampleApp } from '../helpers/seeds-example.js';

const SECRET = 'hashed-ids-test-secret-0123456789ab';
const quiet = { warn: () => {}, info: () => {} };

async function keysOf(store: MemoryStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.keys('')) keys.push(key);
  return keys.sort();
}

describe('hashedId: the name of a session in its store', () => {
  it('is base64url of SHA-256 over a prefix of its own and the id: 43 characters, the same for the same id', () => {
    const id = generateId(32);
    const expected = createHash('sha256').update(`sessionkit store key\0${id}`).digest('base64url');
    expect(hashedId(id)).toBe(expected);
    expect(hashedId(id)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashedId(id)).toBe(hashedId(id));
    expect(hashedId(generateId(32))).not.toBe(hashedId(id));
  });

  it('holds neither the id nor its handle, and is not a handle of it: a listed name is not a store key', () => {
    const id = generateId(32);
    expect(hashedId(id)).not.toContain(id);
    expect(hashedId(id)).not.toContain(handleOf(id));
    expect(handleOf(id)).not.toBe(hashedId(id).slice(0, 22));
  });
});

describe('hashIds in the engine', () => {
  const engineOn = (store: MemoryStore, hashIds: boolean | { readRawKeys: boolean }) =>
    new SessionEngine<Record<string, unknown>>({ store, secret: SECRET, logger: quiet, hashIds });
  const save = async (engine: SessionEngine<Record<string, unknown>>, data: Record<string, unknown>) => {
    const session = await engine.load(undefined);
    Object.assign(session, data);
    const pending = engine.commit(session);
    await pending.persist();
    return { id: session.id, cookie: pending.setCookies[0]!.split(';')[0]! };
  };

  it('writes a session under keyPrefix + hashedId(id), and reads it back from there', async () => {
    const store = new MemoryStore();
    const engine = engineOn(store, true);
    const { id, cookie } = await save(engine, { user: 'ada' });
    expect(await keysOf(store)).toEqual([`session:${hashedId(id)}`]);
    expect((await engine.load(cookie)).user).toBe('ada');
  });

  it('reads synchronously where the store does, and moves a raw key there too', async () => {
    const store = new MemoryStore();
    // Unsigned ids: the id codec answers synchronously with Web Crypto too.
    const unsigned = (hashIds: boolean | { readRawKeys: boolean }) => new SessionEngine<Record<string, unknown>>({ store, logger: quiet, hashIds });
    expect(unsigned({ readRawKeys: false }).canLoadSync).toBe(true);
    expect(unsigned(true).canLoadSync).toBe(true);
    const strict = unsigned({ readRawKeys: false });
    expect(strict.loadSync((await save(strict, { user: 'ada' })).cookie).user).toBe('ada');
    const { id, cookie } = await save(unsigned(false), { user: 'bob' });
    expect(unsigned(true).loadSync(cookie).user).toBe('bob');
    expect(await store.get(`session:${id}`)).toBeUndefined();
    expect(await store.get(`session:${hashedId(id)}`)).toBeDefined();
  });

  it('moves a session written with raw ids on its first load: the raw key is gone, the hashed one holds it', async () => {
    const store = new MemoryStore();
    const { id, cookie } = await save(new SessionEngine({ store, secret: SECRET, logger: quiet }), { user: 'ada' });
    expect(await keysOf(store)).toEqual([`session:${id}`]);
    const engine = engineOn(store, true);
    expect((await engine.load(cookie)).user).toBe('ada');
    expect(await keysOf(store)).toEqual([`session:${hashedId(id)}`]);
  });

  it('refuses a sealed cookie store at start-up, saying why', () => {
    expect(() => new SessionEngine({ store: cookieStore({ secret: SECRET }), secret: SECRET, hashIds: true })).toThrow(SessionConfigError);
    expect(() => new SessionEngine({ store: cookieStore({ secret: SECRET }), secret: SECRET, hashIds: true })).toThrow(
      /"hashIds" names records in a store by a hash of their id; a sealed cookie session has no record and no key to hash. Remove "hashIds"./,
    );
  });

  it.each([['yes'], [{ readRawKeys: 'no' }], [{ rawKeys: false }], [[true]]])('refuses hashIds: %j at start-up', (value) => {
    expect(() => new SessionEngine({ store: new MemoryStore(), hashIds: value as never })).toThrow(/hashIds(\.readRawKeys)? must be/);
  });
});

describe('hashIds with multiSession: each store entry keeps hashed keys', () => {
  const store = new MemoryStore();
  let server: TestServer;
  beforeAll(async () => {
    server = await seedsExampleApp(seedsExample(SECRET, { store, secret: SECRET, hashIds: true }), quiet);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('logs in, regenerates and destroys with no id in any key, and the old hashed key gone each time', async () => {
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/login/user-1042`);
    const idOf = () => jar.cookies.get('session')!.split('.')[0]!;
    const first = idOf();
    expect(await keysOf(store)).toEqual([`session:${hashedId(first)}`]);
    await jar.fetch(`${server.url}/regenerate`);
    const second = idOf();
    expect(second).not.toBe(first);
    expect(await keysOf(store)).toEqual([`session:${hashedId(second)}`]);
    expect(await (await jar.fetch(`${server.url}/all`)).json()).toMatchObject({ user_id: 'user-1042' });
    await jar.fetch(`${server.url}/destroy`);
    expect(await keysOf(store)).toEqual([]);
  });

  it('a sealed cookie entry with hashIds is refused at start-up', () => {
    const sessions = seedsExample(SECRET, { store, secret: SECRET }).map((entry) => ({ ...entry, hashIds: true }));
    expect(() => multiSession({ sessions, logger: quiet })).toThrow(/sealed cookie session has no record/);
  });
});
