import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SessionConfigError, SessionEngine, StoreError } from '../../src/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { perUserKey } from '../../src/accounts/per-user-record.js';
import type { Store, StoreRecord } from '../../src/core/store.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { NullStore } from '../../src/stores/null.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
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

  it('a sign-in in the same millisecond as "log out everywhere" is refused too; the session that asked stays', async () => {
    const { request, login, whoami, engine } = server(revocations.store);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
    const phone = await login('alice');
    const laptop = await login('alice');
    const { cookie: resealed } = await request(laptop, async (session) => {
      await engine.revokeSessions('alice', { except: session });
    });
    expect(await whoami(phone)).toBeUndefined();
    expect(await whoami(resealed)).toBe('alice');
    const elsewhere = await login('bob');
    await engine.revokeSessions('bob');
    expect(await whoami(elsewhere)).toBeUndefined();
    vi.setSystemTime(Date.now() + 1);
    expect(await whoami(await login('bob'))).toBe('bob');
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

  it('destroy() ends that one sealed cookie: a copy replayed afterwards is a fresh session; the user\'s other sessions stay', async () => {
    const { request, login, whoami } = server(revocations.store);
    const copied = await login('ivan');
    const otherDevice = await login('ivan');
    const { setCookie } = await request(copied, async (session) => {
      await session.destroy();
    });
    expect(setCookie).toMatch(/Max-Age=0/); // the browser forgets it; a copy is what is left
    const replayed = await request(copied);
    expect(replayed.session.user).toBeUndefined();
    expect(replayed.session.isNew).toBe(true);
    expect(await whoami(otherDevice)).toBe('ivan');
    expect(await whoami(await login('ivan'))).toBe('ivan');
  });

  it('regenerate() ends the cookie of the old id; the session goes on under the new one', async () => {
    const { request, login, whoami } = server(revocations.store);
    const copied = await login('judy');
    const { cookie: renewed } = await request(copied, (session) => {
      session.regenerate();
    });
    expect(renewed).not.toBe(copied);
    expect(await whoami(renewed)).toBe('judy');
    expect(await whoami(copied)).toBeUndefined();
  });

  it('a logout that only removes the user ends the signed-in cookie and keeps the rest of the session', async () => {
    const { request, login, whoami } = server(revocations.store);
    const copied = await login('kim');
    const { cookie: loggedOut } = await request(copied, (session) => {
      delete session.user;
      session.cart = ['book'];
    });
    expect((await request(loggedOut)).session.cart).toEqual(['book']);
    expect(await whoami(copied)).toBeUndefined();
    // The same session signing in again later is a new sign-in, and lives.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5);
    const { cookie: again } = await request(loggedOut, (session) => {
      session.user = 'kim';
    });
    expect(await whoami(again)).toBe('kim');
    expect(await whoami(copied)).toBeUndefined();
  });

  it('another server refuses an ended session\'s cookie within maxStale, though it checked that cookie before', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
    const a = server(revocations.store);
    const b = server(revocations.store, { revocations: { store: revocations.store, maxStale: '2s' } });
    const ended = await a.login('mia');
    const other = await a.login('mia');
    await a.request(other, (session) => session.destroy()); // the user now has an ended session
    expect(await b.whoami(ended)).toBe('mia'); // b reads mia's record and checks this cookie against it
    vi.advanceTimersByTime(10);
    await a.request(ended, (session) => session.destroy());
    expect(await b.whoami(ended)).toBe('mia'); // within the 2 s staleness bound
    vi.advanceTimersByTime(2_001);
    expect(await b.whoami(ended)).toBeUndefined();
  });

  it('an ended session\'s entry lives as long as a cookie of it can open, then leaves the user\'s record', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
    const { request, login, engine } = server(revocations.store, { lifetime: 60 });
    const key = perUserKey((name) => engine.options.keyPrefix + name, 'revoked', 'liam');
    const ended = (record: StoreRecord | undefined) => Object.keys((engine.options.codec.decode(record!.data) as { s: object }).s);
    const first = await login('liam');
    await request(first, (session) => session.destroy());
    const record = await revocations.store.get(key);
    expect(ended(record)).toHaveLength(1);
    // The cookie's lifetime, and a margin for requests that were in flight.
    expect(record!.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000 + 15 * 60_000);
    vi.advanceTimersByTime(60_000 + 15 * 60_000 + 1);
    const second = await login('liam');
    await request(second, (session) => session.destroy());
    expect(ended(await revocations.store.get(key))).toHaveLength(1);
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
    // A store without compare-and-set would fail every logout: refused at start-up instead.
    expect(() => new SessionEngine({ store: cookieStore(), secret: SECRET, userField: 'user', revocations: { store: new NullStore() } })).toThrow(
      /"revocations\.store" needs insert-if-absent \(create\) and compare-and-set \(setIf\); the null store lacks them/,
    );
    expect(() => new SessionEngine({ store: cookieStore(), secret: SECRET, userField: 'user', revocations: { store, maxStale: 'soon' } })).toThrow(
      /revocations\.maxStale/,
    );
  });

  it('sealed sessions cannot be listed or revoked one by one, and the errors say what works', async () => {
    const engine = new SessionEngine({ store: cookieStore(), secret: SECRET, userField: 'user', revocations: { store: new MemoryStore() } });
    await expect(engine.listSessions('u')).rejects.toThrow(/sealed cookie sessions are not on the server; revokeSessions\(\) with revocations/);
    await expect(engine.revokeSession('u', 'handle')).rejects.toThrow(SessionConfigError);
    // Kept by sealing its cookie again: only the session object itself will do.
    await expect(engine.revokeSessions('u', { except: 'a-handle-from-a-listing-0' })).rejects.toThrow(/except must be the session itself \(except: req\.session\)/);
    const session = await engine.load(undefined);
    await expect(engine.revokeSessions('u', { except: session.id })).rejects.toThrow(TypeError);
    await expect(engine.revokeSessions('u', { except: {} })).rejects.toThrow(/except is not a session of this engine/);
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
