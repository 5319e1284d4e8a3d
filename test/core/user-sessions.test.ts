import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { multiSession, SessionConfigError, SessionEngine } from '../../src/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import type { StoreRecord } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { requestsOf } from '../helpers/engine-request.js';

const SECRET = 'user-sessions-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };

type Data = Record<string, unknown>;

function setup(options: SessionOptions = {}) {
  const store = new MemoryStore();
  const engine = new SessionEngine<Data>({ store, logger: quiet, secret: SECRET, userField: 'user', ...options });
  const request = requestsOf(engine);
  const login = async (user: string | number, cookie?: string) =>
    (
      await request(cookie, (session) => {
        session.regenerate();
        session.user = user;
      })
    ).cookie;
  const whoami = async (cookie: string | undefined) => (await request(cookie)).session.user;
  return { store, engine, request, login, whoami };
}

describe('a user\'s sessions: the index over time', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an active session keeps its entry past the first entry\'s coverage (sliding refresh extends it)', async () => {
    const { engine, login, request } = setup({ lifetime: 10, touchAfter: 0 });
    const cookie = await login('u1');
    for (let step = 0; step < 6; step++) {
      vi.advanceTimersByTime(8_000);
      await request(cookie);
    }
    // 48 s in: the entry written at login covered 20 s; each refresh past it extended it.
    expect(await engine.listSessions('u1')).toHaveLength(1);
    expect(await engine.revokeSessions('u1')).toBe(1);
  });

  it('the index record expires with the sessions it lists', async () => {
    const { engine, store, login } = setup({ lifetime: 10 });
    await login('u1');
    vi.advanceTimersByTime(21_000);
    expect(await engine.listSessions('u1')).toEqual([]);
    await store.deleteExpired();
    expect(store.size).toBe(0);
  });

  it('with an absolute lifetime, an entry never outlives the session\'s absolute end', async () => {
    const { engine, store, login } = setup({ lifetime: 10, absoluteLifetime: 12 });
    await login('u1');
    vi.advanceTimersByTime(12_001);
    await store.deleteExpired();
    expect(store.size).toBe(0);
    expect(await engine.listSessions('u1')).toEqual([]);
  });
});

describe('a user\'s sessions: what the engine keeps in step', () => {
  it('login, re-login in the same browser, and logout leave exactly the live sessions listed', async () => {
    const { engine, login, request } = setup();
    const first = await login(7);
    expect(await engine.listSessions(7)).toHaveLength(1);
    const again = await login(7, first); // regenerate: the old id's entry goes
    expect(await engine.listSessions('7')).toHaveLength(1);
    await request(again, (session) => {
      delete session.user;
    });
    expect(await engine.listSessions(7)).toEqual([]);
  });

  it('a session that changes user moves from one listing to the other; destroy removes it', async () => {
    const { engine, login, request } = setup();
    const cookie = await login('a');
    await request(cookie, (session) => {
      session.user = 'b';
    });
    expect(await engine.listSessions('a')).toEqual([]);
    expect(await engine.listSessions('b')).toHaveLength(1);
    await request(cookie, async (session) => {
      await session.destroy();
    });
    expect(await engine.listSessions('b')).toEqual([]);
  });

  it('a sessions\'s handle is not its id and is the same in every listing', async () => {
    const { engine, login, request } = setup();
    const cookie = await login('a');
    const { session } = await request(cookie);
    const [first] = await engine.listSessions('a', { current: session });
    expect(first!.current).toBe(true);
    expect(first!.handle).not.toContain(session.id);
    expect(session.id).not.toContain(first!.handle);
    expect((await engine.listSessions('a'))[0]!.handle).toBe(first!.handle);
  });

  it('a revocation that lands between the index entry and the record write still ends the session', async () => {
    // The store is real; only its create of session records waits for the test, which runs
    // a revoke-all in exactly the gap the engine's post-write check exists for.
    const store = new MemoryStore();
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const create = store.create.bind(store);
    store.create = async (key: string, record: StoreRecord) => {
      if (!key.includes('user.')) await hold;
      return create(key, record);
    };
    const engine = new SessionEngine<Data>({ store, logger: quiet, secret: SECRET, userField: 'user' });
    const session = await engine.load(undefined);
    session.user = 'u';
    const pending = engine.commit(session);
    const writing = pending.persist();
    // The index record is the only record until the held create goes through.
    await vi.waitFor(() => expect(store.size).toBe(1));
    expect(await engine.revokeSessions('u')).toBe(1);
    release();
    await writing;
    const cookie = pending.setCookies[0]!.split(';')[0];
    expect((await engine.load(cookie)).user).toBeUndefined();
  });

  it('a request that saved once and writes again after its session was revoked does not bring it back', async () => {
    const { engine, login } = setup();
    const cookie = await login('u');
    const session = await engine.load(cookie);
    session.a = 1;
    await session.save();
    expect(await engine.revokeSessions('u')).toBe(1);
    session.b = 2;
    await engine.commit(session).persist();
    expect((await engine.load(cookie)).user).toBeUndefined();
  });

  it('except takes the request\'s session, its id (express-session\'s habit) or a handle; anything else is refused, revoking nothing', async () => {
    const { engine, login, request, whoami } = setup();
    const current = await login('u');
    const [phone, tablet] = [await login('u'), await login('u')];
    const { session } = await request(current);
    expect(await engine.revokeSessions('u', { except: session.id })).toBe(2);
    expect(await whoami(current)).toBe('u');
    expect(await whoami(phone)).toBeUndefined();
    expect(await whoami(tablet)).toBeUndefined();
    const laptop = await login('u');
    const handle = (await engine.listSessions('u', { current: session })).find((listed) => listed.current)!.handle;
    expect(await engine.revokeSessions('u', { except: handle })).toBe(1);
    expect(await whoami(current)).toBe('u');
    expect(await whoami(laptop)).toBeUndefined();
    // What cannot name a session: a user id, the signed cookie value, an object of another kind.
    const signedValue = current!.slice(current!.indexOf('=') + 1);
    for (const except of ['u', signedValue, { id: session.id }, await new SessionEngine({ store: new MemoryStore() }).load(undefined)]) {
      const refused = engine.revokeSessions('u', { except });
      await expect(refused).rejects.toThrow(TypeError);
      await expect(refused).rejects.toThrow(/req\.session.*req\.session\.id.*listSessions\(\)/);
    }
    expect(await whoami(current)).toBe('u');
  });

  it('a stored userField value that is not an id is not indexed, with one warning', async () => {
    const warnings: string[] = [];
    const { request } = setup({ userField: 'passport.user', logger: { warn: (m) => warnings.push(m), info: () => {} } });
    await request(undefined, (session) => {
      session.passport = { user: { id: 1, name: 'object' } };
    });
    await request(undefined, (session) => {
      session.passport = { user: { id: 2 } };
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/userField "passport\.user" holds object/);
  });

  it('misconfigurations fail at start-up or name the missing option', async () => {
    expect(() => new SessionEngine({ userField: '' })).toThrow(SessionConfigError);
    expect(() => new SessionEngine({ userField: 'a..b' })).toThrow(/userField must name a session field/);
    expect(() => new SessionEngine({ listedFields: ['ip'] })).toThrow(/listedFields is set without userField/);
    await expect(new SessionEngine({ store: new MemoryStore() }).listSessions('u')).rejects.toThrow(/needs the userField option/);
    await expect(new SessionEngine({ store: new MemoryStore() }).revokeSessions('u')).rejects.toThrow(/needs the userField option/);
  });

  it('multiSession answers through the entry that sets userField', async () => {
    const manager = multiSession<Data>({
      sessions: [
        { cookie: { name: 'prefs' }, store: cookieStore({ secret: SECRET }), fields: ['theme'] },
        { cookie: { name: 'auth' }, store: new MemoryStore(), secret: SECRET, userField: 'user', fields: 'auto' },
      ],
    });
    const session = await manager.load(undefined);
    session.user = 'm';
    session.theme = 'dark';
    const pending = manager.commit(session);
    await pending.persist();
    const listed = await manager.listSessions('m', { current: session });
    expect(listed.map((s) => s.current)).toEqual([true]);
    expect(await manager.revokeSessions('m', { except: session })).toBe(0);
    expect(await manager.revokeSessions('m')).toBe(1);
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: new MemoryStore(), userField: 'user', fields: ['user'] },
          { cookie: { name: 'b' }, store: new MemoryStore(), userField: 'user', fields: 'auto' },
        ],
      }),
    ).toThrow(/both set userField/);
  });
});
