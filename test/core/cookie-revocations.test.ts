import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionConfigError, SessionEngine, StoreError } from '../../src/index.js';
import type { SessionOptions } from '../../src/core/options.js';
import type { Store } from '../../src/core/store.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { SqliteStore } from '../../src/stores/sqlite.js';
import { requestsOf } from '../helpers/engine-request.js';

const SECRET = 'cookie-revocations-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };
type Data = Record<string, unknown>;

/** One server: an engine on sealed cookies whose revocations live in `revocations`. */
function server(revocations: Store, extra: Partial<SessionOptions> = {}) {
  const engine = new SessionEngine<Data>({
    store: cookieStore(),
    secret: SECRET,
    logger: quiet,
    userField: 'user',
    revocations: { store: revocations, maxStale: 0 },
    ...extra,
  });
  const request = requestsOf(engine);
  const login = async (user: string) =>
    (
      await request(undefined, (session) => {
        session.user = user;
      })
    ).cookie;
  const whoami = async (cookie: string | undefined) => (await request(cookie)).session.user;
  return { engine, request, login, whoami };
}

describe.each([
  ['a memory store', () => ({ store: new MemoryStore(), close: async () => {} })],
  [
    'an SQLite file',
    () => {
      const store = new SqliteStore({ path: ':memory:' });
      return { store: store, close: () => store.close() };
    },
  ],
])('revoking sealed cookie sessions, their revocations in %s', (_label, makeStore) => {
  let revocations: ReturnType<typeof makeStore>;
  beforeEach(() => {
    revocations = makeStore();
  });
  afterEach(async () => {
    await revocations.close();
    vi.useRealTimers();
  });

  it('"log out other devices" refuses the other cookies of the user and keeps the current one and other users', async () => {
    const { request, login, whoami, engine } = server(revocations.store);
    const phone = await login('alice');
    const tablet = await login('alice');
    const bob = await login('bob');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5);
    const laptop = await login('alice');
    vi.setSystemTime(Date.now() + 5);
    const { cookie: resealed } = await request(laptop, async (session) => {
      expect(await engine.revokeSessions('alice', { except: session })).toBe(0);
    });
    expect(resealed).not.toBe(laptop);
    expect(await whoami(resealed)).toBe('alice');
    expect(await whoami(phone)).toBeUndefined();
    expect(await whoami(tablet)).toBeUndefined();
    expect(await whoami(bob)).toBe('bob');
    // A login after the revocation is a new sign-in, and lives.
    vi.setSystemTime(Date.now() + 5);
    expect(await whoami(await login('alice'))).toBe('alice');
  });

  it('another server sees a revocation within maxStale, not later', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
    const a = server(revocations.store);
    const b = server(revocations.store, { revocations: { store: revocations.store, maxStale: '2s' } });
    const cookie = await a.login('carol');
    expect(await b.whoami(cookie)).toBe('carol'); // b now caches carol's generation
    vi.advanceTimersByTime(10);
    await a.engine.revokeSessions('carol');
    expect(await a.whoami(cookie)).toBeUndefined();
    vi.advanceTimersByTime(1_000);
    expect(await b.whoami(cookie)).toBe('carol'); // within the 2 s staleness bound
    vi.advanceTimersByTime(1_001);
    expect(await b.whoami(cookie)).toBeUndefined();
  });

  it('a request in flight that re-seals a revoked session does not bring it back', async () => {
    const { request, login, whoami, engine } = server(revocations.store);
    const cookie = await login('dave');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5);
    const { cookie: written } = await request(cookie, async (session) => {
      await engine.revokeSessions('dave');
      session.touched = true;
    });
    expect(written).not.toBe(cookie);
    expect(await whoami(written)).toBeUndefined();
  });
});

describe('revocations: what cannot work fails clearly', () => {
  it('refuses misconfigurations at start-up', () => {
    const store = new MemoryStore();
    expect(() => new SessionEngine({ store, userField: 'user', revocations: { store } })).toThrow(/for sealed cookie sessions/);
    expect(() => new SessionEngine({ store: cookieStore(), secret: SECRET, revocations: { store } })).toThrow(/needs userField/);
    expect(
      () => new SessionEngine({ store: cookieStore(), secret: SECRET, userField: 'user', revocations: { store: {} as Store } }),
    ).toThrow(SessionConfigError);
    expect(() => new SessionEngine({ store: cookieStore(), secret: SECRET, userField: 'user', revocations: { store, maxStale: 'soon' } })).toThrow(
      /revocations\.maxStale/,
    );
  });

  it('sealed sessions cannot be listed or revoked one by one, and the errors say what works', async () => {
    const engine = new SessionEngine({ store: cookieStore(), secret: SECRET, userField: 'user', revocations: { store: new MemoryStore() } });
    await expect(engine.listSessions('u')).rejects.toThrow(/sealed cookie sessions are not on the server; revokeSessions\(\) with revocations/);
    await expect(engine.revokeSession('u', 'handle')).rejects.toThrow(SessionConfigError);
    await expect(engine.revokeSessions('u', { except: 'handle' })).rejects.toThrow(/no handles/);
    const without = new SessionEngine({ store: cookieStore(), secret: SECRET, userField: 'user' });
    await expect(without.revokeSessions('u')).rejects.toThrow(/Give the engine revocations: \{ store \}/);
  });

  it('a revocation store that is down is a clear StoreError for signed-in requests, and recovers', async () => {
    const store = new MemoryStore();
    const { login, whoami } = server(store);
    const cookie = await login('erin');
    const get = store.get.bind(store);
    store.get = () => Promise.reject(new StoreError('memory', 'down for the test'));
    await expect(whoami(cookie)).rejects.toThrow(/down for the test/);
    expect(await whoami(undefined)).toBeUndefined(); // anonymous requests need no revocation read
    store.get = get;
    expect(await whoami(cookie)).toBe('erin');
  });
});
