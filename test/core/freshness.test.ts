import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkFreshness, multiSession, SessionConfigError, SessionEngine } from '../../src/index.js';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { freshnessMaxAge, freshnessOf } from '../../src/freshness/check.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CountingStore } from '../helpers/counting-store.js';
import { requestsOf } from '../helpers/engine-request.js';
import { RequestBinding } from '../../src/core/request-binding.js';
import { bindToRequest } from '../../src/engine/session.js';

const SECRET = 'freshness-test-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };
const MINUTE = 60_000;
const START = new Date('2026-12-01T08:00:00Z').getTime();

interface Data {
  user: string;
  n: number;
  passport: { user?: string };
}

function setup(options: SessionOptions) {
  const engine = new SessionEngine<Data>({ logger: quiet, secret: SECRET, freshness: true, ...options });
  return { engine, request: requestsOf(engine) };
}

/** express-session's regenerate(callback), as Passport's req.login calls it. */
function regenerateAsPassportDoes(session: { regenerate(callback: (error?: unknown) => void): void }): Promise<void> {
  return new Promise((resolve, reject) => {
    session.regenerate((error) => {
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error('regenerate failed'));
    });
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(START);
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each([
  // The memory store keeps records decoded (its memo): a change of the time alone must still be seen as a change.
  ['the memory store', () => ({ store: new MemoryStore() })],
  ['a store', () => ({ store: new CountingStore() })],
  ['a sealed cookie', () => ({ store: cookieStore() })],
])('freshness, with %s', (_label, storeOptions) => {
  it('markAuthenticated() records now, read back as authenticatedAt on later requests', async () => {
    const { request } = setup(storeOptions());
    const first = await request(undefined, (s) => {
      s.user = 'ada';
      expect(s.authenticatedAt).toBeUndefined();
      s.markAuthenticated();
      expect(s.authenticatedAt).toEqual(new Date(START));
    });
    vi.advanceTimersByTime(5 * MINUTE);
    const next = await request(first.cookie);
    expect(next.session.authenticatedAt).toEqual(new Date(START));
  });

  it('a mark alone (the data unchanged) is a change that is written', async () => {
    const { request } = setup(storeOptions());
    let { cookie } = await request(undefined, (s) => (s.user = 'ada'));
    // Read twice: the memory store keeps it decoded from the second read on.
    ({ cookie } = await request(cookie));
    ({ cookie } = await request(cookie));
    vi.advanceTimersByTime(MINUTE);
    const marked = await request(cookie, (s) => s.markAuthenticated());
    expect(marked.setCookie).toBeDefined();
    expect((await request(marked.cookie)).session.authenticatedAt).toEqual(new Date(START + MINUTE));
  });

  it('regenerate() keeps the time, in both its forms; destroy() ends it', async () => {
    const { request } = setup(storeOptions());
    let { cookie } = await request(undefined, (s) => {
      s.user = 'ada';
      s.markAuthenticated();
    });
    vi.advanceTimersByTime(MINUTE);
    const regenerated = await request(cookie, (s) => s.regenerate());
    expect(regenerated.session.authenticatedAt).toEqual(new Date(START));
    ({ cookie } = regenerated);
    // express-session's form, with no request to swap into: emptied in place under a new id.
    const renewed = await request(cookie, async (s) => {
      await regenerateAsPassportDoes(s);
      s.user = 'ada';
    });
    expect((await request(renewed.cookie)).session.authenticatedAt).toEqual(new Date(START));
    const destroyed = await request(renewed.cookie, async (s) => {
      await s.destroy();
      s.n = 1;
    });
    expect(destroyed.session.authenticatedAt).toBeUndefined();
    expect((await request(destroyed.cookie)).session.authenticatedAt).toBeUndefined();
  });

  it("regenerate(callback) where the adapter puts a new session on the request (req.session) keeps the time", async () => {
    const { engine, request } = setup(storeOptions());
    const { cookie } = await request(undefined, (s) => {
      s.user = 'ada';
      s.markAuthenticated();
    });
    vi.advanceTimersByTime(MINUTE);
    const loaded = await engine.load(cookie);
    const binding = new RequestBinding(loaded);
    binding.replace = () => {}; // as Express's: the binding's `current` is the request's session
    bindToRequest(loaded, binding);
    await regenerateAsPassportDoes(loaded);
    const replaced = binding.current;
    expect(replaced).not.toBe(loaded);
    expect(replaced.authenticatedAt).toEqual(new Date(START));
  });

  it('neither a refresh nor touch() moves the time', async () => {
    const { request } = setup({ ...storeOptions(), touchAfter: 0 });
    let { cookie } = await request(undefined, (s) => {
      s.user = 'ada';
      s.markAuthenticated();
    });
    for (let step = 0; step < 3; step++) {
      vi.advanceTimersByTime(10 * MINUTE);
      const next = await request(cookie, (s) => (step === 1 ? s.touch() : undefined));
      expect(next.setCookie, 'refreshed').toBeDefined();
      ({ cookie } = next);
    }
    const last = await request(cookie);
    expect(last.session.authenticatedAt).toEqual(new Date(START));
    expect(freshnessOf(last.session, 15 * MINUTE)).toMatchObject({ fresh: false, reason: 'stale', ageMs: 30 * MINUTE });
  });
});

describe.each([
  ['the memory store', () => new MemoryStore()],
  ['a store', () => new CountingStore()],
])('freshness through the merge of a compare-and-set write, with %s', (_label, makeStore) => {
  it('a mark after a save() of the same request is written (that write merges onto the record the save wrote)', async () => {
    const { engine, request } = setup({ store: makeStore() });
    const { cookie } = await request(undefined, (s) => (s.user = 'ada'));
    vi.advanceTimersByTime(MINUTE);
    await request(cookie, async (s) => {
      s.n = 1;
      await s.save();
      s.markAuthenticated();
    });
    expect((await engine.load(cookie)).authenticatedAt).toEqual(new Date(START + MINUTE));
  });

  it("a request that lost the race keeps another request's mark, and its own mark wins over an older one", async () => {
    const { engine, request } = setup({ store: makeStore() });
    const { cookie } = await request(undefined, (s) => (s.user = 'ada'));
    const slow = await engine.load(cookie);
    vi.advanceTimersByTime(MINUTE);
    await request(cookie, (s) => s.markAuthenticated());
    slow.n = 1; // written over the marked record: the merge keeps its time
    await engine.commit(slow).persist();
    const merged = await engine.load(cookie);
    expect(merged.n).toBe(1);
    expect(merged.authenticatedAt).toEqual(new Date(START + MINUTE));
    const marking = await engine.load(cookie);
    await request(cookie, (s) => (s.n = 2));
    vi.advanceTimersByTime(MINUTE);
    marking.markAuthenticated();
    await engine.commit(marking).persist();
    const last = await engine.load(cookie);
    expect(last.n).toBe(2);
    expect(last.authenticatedAt).toEqual(new Date(START + 2 * MINUTE));
  });
});

describe('freshness with userField: a login records the time', () => {
  it('a session that comes to name a user (a login) is authenticated at commit; a logout ends it', async () => {
    const { request } = setup({ store: new MemoryStore(), userField: 'user' });
    let { cookie } = await request(undefined, (s) => (s.n = 1));
    vi.advanceTimersByTime(MINUTE);
    const login = await request(cookie, (s) => {
      s.regenerate();
      s.user = 'ada';
    });
    expect(login.session.authenticatedAt).toEqual(new Date(START + MINUTE));
    ({ cookie } = login);
    vi.advanceTimersByTime(MINUTE);
    // Still ada: nothing moves the time.
    ({ cookie } = await request(cookie, (s) => (s.n = 2)));
    expect((await request(cookie)).session.authenticatedAt).toEqual(new Date(START + MINUTE));
    const logout = await request(cookie, (s) => {
      delete s.user;
    });
    expect(logout.session.authenticatedAt).toBeUndefined();
    expect((await request(logout.cookie)).session.authenticatedAt).toBeUndefined();
  });

  it("Passport's login (regenerate(callback), then passport.user) records it; a switch of user records it again", async () => {
    const { request } = setup({ store: new MemoryStore(), userField: 'passport.user' });
    const login = (user: string) => async (s: Parameters<Parameters<typeof request>[1] & object>[0]) => {
      await regenerateAsPassportDoes(s);
      s.passport = { user };
    };
    let { cookie } = await request(undefined, login('ada'));
    expect((await request(cookie)).session.authenticatedAt).toEqual(new Date(START));
    vi.advanceTimersByTime(MINUTE);
    ({ cookie } = await request(cookie, login('bob')));
    expect((await request(cookie)).session.authenticatedAt).toEqual(new Date(START + MINUTE));
  });

  it('a signed-in session stored before freshness was on is never authenticated, not fresh from its next write', async () => {
    const store = new MemoryStore();
    const before = requestsOf(new SessionEngine<Data>({ logger: quiet, secret: SECRET, store, userField: 'user' }));
    const { cookie } = await before(undefined, (s) => (s.user = 'ada'));
    const { request } = setup({ store, userField: 'user' });
    await request(cookie, (s) => (s.n = 1));
    const after = await request(cookie);
    expect(after.session.user).toBe('ada');
    expect(after.session.authenticatedAt).toBeUndefined();
  });
});

describe('freshness: configuration and bad input', () => {
  it('without the option, markAuthenticated() and authenticatedAt say to set it', async () => {
    const request = requestsOf(new SessionEngine<Data>({ logger: quiet, store: new MemoryStore() }));
    await request(undefined, (s) => {
      expect(() => s.markAuthenticated()).toThrow(SessionConfigError);
      expect(() => s.markAuthenticated()).toThrow(/needs the freshness option: set freshness: true/);
      expect(() => s.authenticatedAt).toThrow(/freshness: true/);
    });
  });

  it('freshness that is not a boolean fails at start-up', () => {
    expect(() => new SessionEngine({ store: new MemoryStore(), freshness: 'yes' as unknown as boolean })).toThrow(/freshness must be true or false/);
  });

  it('a stored time that is not a number is a fresh session with one warning', async () => {
    const warnings: string[] = [];
    const store = new MemoryStore();
    const { request } = setup({ store, logger: { warn: (message) => warnings.push(message), info: () => {} } });
    const first = await request(undefined, (s) => (s.user = 'ada'));
    await store.set(`session:${first.session.id}`, { data: msgpackCodec.encode({ p: true, d: { user: 'ada' }, u: '2026-12-01' }), expiresAt: START + MINUTE });
    const next = await request(first.cookie);
    expect(next.session.isNew).toBe(true);
    expect(next.session.user).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot read/);
  });

  it('an engine without the option drops the time at its next write: back on, the session is not authenticated, never wrongly fresh', async () => {
    const store = new MemoryStore();
    const { request } = setup({ store });
    const { cookie } = await request(undefined, (s) => {
      s.user = 'ada';
      s.markAuthenticated();
    });
    const off = requestsOf(new SessionEngine<Data>({ logger: quiet, secret: SECRET, store }));
    expect((await off(cookie, (s) => (s.n = 1))).session.user).toBe('ada');
    const back = await request(cookie);
    expect(back.session.n).toBe(1);
    expect(back.session.authenticatedAt).toBeUndefined();
  });
});

describe('the freshness decision', () => {
  const at = (ms: number | undefined) => ({ authenticatedAt: ms === undefined ? undefined : new Date(ms) });

  it('fresh within maxAge, stale past it, never-authenticated without a time', () => {
    expect(freshnessOf(at(START - 15 * MINUTE), 15 * MINUTE)).toEqual({ fresh: true, authenticatedAt: new Date(START - 15 * MINUTE), ageMs: 15 * MINUTE, maxAgeMs: 15 * MINUTE });
    expect(freshnessOf(at(START - 15 * MINUTE - 1), 15 * MINUTE)).toMatchObject({ fresh: false, reason: 'stale', ageMs: 15 * MINUTE + 1 });
    expect(freshnessOf(at(undefined), 15 * MINUTE)).toEqual({ fresh: false, reason: 'never-authenticated', authenticatedAt: undefined, ageMs: undefined, maxAgeMs: 15 * MINUTE });
    // Another server's clock a little ahead: now, not a negative age.
    expect(freshnessOf(at(START + 500), MINUTE)).toMatchObject({ fresh: true, ageMs: 0 });
  });

  it("checkFreshness takes the library's durations: seconds or '15m'", () => {
    expect(checkFreshness(at(START - 10 * MINUTE), '15m').fresh).toBe(true);
    expect(checkFreshness(at(START - 10 * MINUTE), 300).fresh).toBe(false);
    expect(freshnessMaxAge('1h30m')).toBe(90 * MINUTE);
  });

  it('a maxAge that is not a positive duration fails when the guard is made', () => {
    expect(() => freshnessMaxAge(0)).toThrow(/positive maxAge/);
    expect(() => freshnessMaxAge('soon')).toThrow(/not a duration/);
    expect(() => freshnessMaxAge(undefined as unknown as string)).toThrow(/positive maxAge/);
  });
});

describe('freshness with multiSession', () => {
  const memory = () => new MemoryStore();

  it('the session that sets freshness keeps the time, across requests', async () => {
    const manager = multiSession({
      sessions: [
        { cookie: { name: 'prefs' }, store: cookieStore({ secret: SECRET }), fields: ['theme'] },
        { cookie: { name: 'sid' }, store: memory(), secret: SECRET, freshness: true, userField: 'user', fields: 'auto' },
      ],
      logger: quiet,
    });
    const session = await manager.load(undefined);
    (session as unknown as Record<string, unknown>).user = 'ada';
    session.markAuthenticated();
    const pending = manager.commit(session);
    await pending.persist();
    const cookies = pending.setCookies.map((line) => line.split(';')[0]).join('; ');
    vi.advanceTimersByTime(MINUTE);
    const next = await manager.load(cookies);
    expect(next.authenticatedAt).toEqual(new Date(START));
  });

  it('freshness on two sessions, or on another than the user one, is refused at start-up', () => {
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: memory(), freshness: true, fields: ['x'] },
          { cookie: { name: 'b' }, store: memory(), freshness: true, fields: ['y'] },
        ],
      }),
    ).toThrow(/'a' and 'b' both set freshness/);
    expect(() =>
      multiSession({
        sessions: [
          { cookie: { name: 'a' }, store: memory(), freshness: true, fields: ['x'] },
          { cookie: { name: 'b' }, store: memory(), userField: 'user', fields: ['user'] },
        ],
      }),
    ).toThrow(/set freshness on 'b', the session that names the user/);
  });
});
