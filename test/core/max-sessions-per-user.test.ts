/**
 * `maxSessionsPerUser` and `onLimit` on the engine: start-up checks, what the user index
 * and the refused login look like, and sealed cookies counted in the revocations store.
 * The same scenarios over HTTP on every store: test/conformance/session-limit-suite.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { multiSession, SessionEngine, SessionLimitError } from '../../src/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { perUserKey } from '../../src/accounts/per-user-record.js';
import type { Store } from '../../src/core/store.js';
import { handleOf } from '../../src/core/handle.js';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { requestsOf } from '../helpers/engine-request.js';

const SECRET = 'max-sessions-per-user-secret-0123456789abcdef';
const quiet = { warn: () => {}, info: () => {} };
type Data = Record<string, unknown>;

function engineWith(options: SessionOptions) {
  const engine = new SessionEngine<Data>({ secret: SECRET, logger: quiet, userField: 'user', ...options });
  const request = requestsOf(engine);
  const login = async (user: string, cookie?: string) =>
    (
      await request(cookie, (session) => {
        session.regenerate();
        session.user = user;
      })
    ).cookie;
  const whoami = async (cookie: string | undefined) => (await request(cookie)).session.user;
  return { engine, request, login, whoami };
}

describe('maxSessionsPerUser at start-up', () => {
  const store = new MemoryStore();
  const make = (options: SessionOptions) => () => new SessionEngine({ store, secret: SECRET, logger: quiet, ...options });

  it('refuses what cannot work, saying what to change', () => {
    expect(make({ maxSessionsPerUser: 3 })).toThrow(/maxSessionsPerUser counts each user's sessions: set userField too/);
    for (const bad of [0, -1, 2.5, Number.NaN, '3']) {
      expect(make({ userField: 'user', maxSessionsPerUser: bad as number })).toThrow(/maxSessionsPerUser must be a whole number of sessions, 1 or more, got /);
    }
    expect(make({ userField: 'user', maxSessionsPerUser: 3, onLimit: 'oldest' as 'refuse' })).toThrow(/onLimit must be 'evict-oldest' or 'refuse', got oldest/);
    expect(make({ userField: 'user', onLimit: 'refuse' })).toThrow(/onLimit is set without maxSessionsPerUser/);
    expect(make({ userField: 'user', maxSessionsPerUser: 3, onLimit: 'refuse' })).not.toThrow();
    expect(make({ userField: 'user', maxSessionsPerUser: 1 })).not.toThrow();
  });

  it('a store without compare-and-set is refused, as userField refuses it', () => {
    const memory = new MemoryStore();
    const withoutCas: Store = { name: 'plain', get: (key) => memory.get(key), set: (key, record) => memory.set(key, record), delete: (key) => memory.delete(key) };
    expect(() => new SessionEngine({ store: withoutCas, secret: SECRET, userField: 'user', maxSessionsPerUser: 2 })).toThrow(
      /userField needs a store with insert-if-absent \(create\) and compare-and-set \(setIf\)/,
    );
  });

  it('sealed cookies need revocations, and evict only', () => {
    const sealed = (options: SessionOptions) => () => new SessionEngine({ store: cookieStore(), secret: SECRET, userField: 'user', ...options });
    expect(sealed({ maxSessionsPerUser: 2 })).toThrow(/counts them in the revocations store: set revocations: \{ store \} too/);
    expect(sealed({ maxSessionsPerUser: 2, onLimit: 'refuse', revocations: { store } })).toThrow(
      /onLimit: 'refuse' needs sessions kept in a store: a sealed cookie is refreshed without the server hearing of it/,
    );
    expect(sealed({ maxSessionsPerUser: 2, revocations: { store } })).not.toThrow();
  });
});

describe('maxSessionsPerUser with sessions in a store', () => {
  it('a refused login rejects its commit with a SessionLimitError that names no session and no user', async () => {
    const store = new MemoryStore();
    const { login, request } = engineWith({ store, maxSessionsPerUser: 1, onLimit: 'refuse' });
    const first = await login('user-with-a-name');
    const refused = request(undefined, (session) => {
      session.user = 'user-with-a-name';
    });
    const error = await refused.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(SessionLimitError);
    expect(error).toMatchObject({ name: 'SessionLimitError', limit: 1, liveSessions: 1 });
    const message = (error as Error).message;
    expect(message).not.toContain('user-with-a-name');
    expect(message).not.toContain(first!.split('=')[1]!.split('.')[0]);
    // Nothing of the refused login was written: the user's one session, and its index record.
    expect(store.size).toBe(2);
  });

  it('reads an index entry stored before entries kept their time, and weighs it by its record', async () => {
    const store = new MemoryStore();
    const { engine, login, whoami } = engineWith({ store, maxSessionsPerUser: 1, keyPrefix: 'p:' });
    const first = await login('u1');
    const key = perUserKey((name) => `p:${name}`, 'user', 'u1');
    const record = (await store.get(key))!;
    // The format before `at`: [id, until, revoked].
    const stored = msgpackCodec.decode(record.data) as Record<string, unknown[]>;
    const older = Object.fromEntries(Object.entries(stored).map(([handle, entry]) => [handle, entry.slice(0, 3)]));
    await store.set(key, { data: msgpackCodec.encode(older), expiresAt: record.expiresAt });
    expect(await engine.listSessions('u1')).toHaveLength(1);
    const second = await login('u1');
    expect(await whoami(first)).toBeUndefined();
    expect(await whoami(second)).toBe('u1');
  });

  it('an entry whose session ended without leaving the index (expired) does not count; one whose login is still writing does', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const store = new MemoryStore();
      const { engine, login, whoami } = engineWith({ store, maxSessionsPerUser: 1, onLimit: 'refuse', lifetime: 120 });
      await login('u1');
      // Expired: its entry stays in the index for a lifetime more, but it counts no longer.
      vi.advanceTimersByTime(121_000);
      const second = await login('u1');
      expect(await whoami(second)).toBe('u1');
      // An entry with no record yet, just written: a login still writing its session.
      const index = (await store.get(perUserKey((name) => `session:${name}`, 'user', 'u1')))!;
      const entries = msgpackCodec.decode(index.data) as Record<string, unknown[]>;
      entries[handleOf('a-login-still-writing-its-record')] = ['a-login-still-writing-its-record', Date.now() + 200_000, 0, Date.now()];
      await store.set(perUserKey((name) => `session:${name}`, 'user', 'u1'), { data: msgpackCodec.encode(entries), expiresAt: index.expiresAt });
      await store.delete(`session:${second!.split('=')[1]!.split('.')[0]!}`);
      await expect(login('u1')).rejects.toThrow(SessionLimitError);
      // A minute on, that entry is a session that never came: it counts no longer.
      vi.advanceTimersByTime(61_000);
      expect(await whoami(await login('u1'))).toBe('u1');
      expect(await engine.listSessions('u1')).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('maxSessionsPerUser through multiSession', () => {
  it('the entry that sets userField limits its sessions: evicts the oldest, or refuses with the error', async () => {
    for (const onLimit of ['evict-oldest', 'refuse'] as const) {
      const manager = multiSession<Data>({
        sessions: [
          { cookie: { name: 'prefs' }, store: cookieStore({ secret: SECRET }), fields: ['theme'] },
          { cookie: { name: 'auth' }, store: new MemoryStore(), secret: SECRET, userField: 'user', maxSessionsPerUser: 1, onLimit, fields: 'auto' },
        ],
      });
      const login = async () => {
        const session = await manager.load(undefined);
        session.user = 'm';
        session.theme = 'dark';
        await manager.commit(session).persist();
      };
      await login();
      if (onLimit === 'refuse') await expect(login()).rejects.toBeInstanceOf(SessionLimitError);
      else await login();
      expect(await manager.listSessions('m')).toHaveLength(1);
    }
  });
});

describe('maxSessionsPerUser with sealed cookies (revocations)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const sealed = (extra: SessionOptions = {}) => {
    const revocations = new MemoryStore();
    return { revocations, ...engineWith({ store: cookieStore(), maxSessionsPerUser: 2, revocations: { store: revocations, maxStale: 0 }, ...extra }) };
  };

  it('a sign-in beyond the limit ends the earliest signed-in cookie of the user, and only it', async () => {
    const { login, whoami } = sealed();
    const first = await login('alice');
    vi.advanceTimersByTime(1_000);
    const second = await login('alice');
    vi.advanceTimersByTime(1_000);
    const bob = await login('bob');
    const third = await login('alice');
    expect(await whoami(first)).toBeUndefined();
    expect(await whoami(second)).toBe('alice');
    expect(await whoami(third)).toBe('alice');
    expect(await whoami(bob)).toBe('bob');
  });

  it('signing in again on the same browser replaces its cookie: not one more', async () => {
    const { login, whoami } = sealed();
    const phone = await login('carol');
    vi.advanceTimersByTime(1_000);
    const laptop = await login('carol');
    vi.advanceTimersByTime(1_000);
    const laptopAgain = await login('carol', laptop);
    expect(await whoami(phone)).toBe('carol');
    expect(await whoami(laptopAgain)).toBe('carol');
    expect(await whoami(laptop)).toBeUndefined();
  });

  it('a revoke-all leaves nothing counted; requests of a signed-in cookie cost no store write', async () => {
    const { engine, login, whoami, revocations } = sealed();
    const [a, b] = [await login('dave'), await login('dave')];
    vi.advanceTimersByTime(1_000);
    expect(await engine.revokeSessions('dave')).toBe(0);
    vi.advanceTimersByTime(1_000);
    const [c, d] = [await login('dave'), await login('dave')];
    for (const gone of [a, b]) expect(await whoami(gone)).toBeUndefined();
    for (const kept of [c, d]) expect(await whoami(kept)).toBe('dave');
    const setIf = vi.spyOn(revocations, 'setIf');
    const create = vi.spyOn(revocations, 'create');
    await whoami(c);
    expect(setIf).not.toHaveBeenCalled();
    expect(create).not.toHaveBeenCalled();
  });

  it('n + k sign-ins at once leave at most n cookies that open', async () => {
    const { login, whoami } = sealed({ maxSessionsPerUser: 3 });
    const cookies = await Promise.all(Array.from({ length: 9 }, () => login('erin')));
    const open = (await Promise.all(cookies.map(whoami))).filter((who) => who === 'erin').length;
    expect(open).toBeGreaterThan(0);
    expect(open).toBeLessThanOrEqual(3);
  });
});
