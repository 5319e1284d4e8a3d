import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { SessionEngine, StoreError, type Store, type StoreRecord } from '../../src/index.js';
import type { SessionEventMap, SessionEventName } from '../../src/core/events.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { storeCall } from '../../src/stores/shared/call.js';
import { memoryStore, type MemoryStore } from '../../src/stores/memory.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { requestsOf } from '../helpers/engine-request.js';

const SECRET = 'a-test-secret-that-is-long-enough';
const SEAL_SECRET = 'a-seal-secret-that-is-at-least-32-characters';
const quiet = { warn: () => {}, info: () => {} };

type Seen = { [K in SessionEventName]: SessionEventMap[K][] };

/** An engine with a listener on every event, and what each heard. */
function watched(options: SessionOptions = {}) {
  const engine = new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: SECRET, logger: quiet, ...options });
  const seen = {} as Seen;
  const names: SessionEventName[] = ['created', 'loaded', 'missed', 'saved', 'touched', 'regenerated', 'destroyed', 'revoked', 'conflict', 'lockWaited', 'lockTimedOut', 'storeError', 'suspicious'];
  for (const name of names) {
    const list: unknown[] = [];
    (seen as Record<string, unknown[]>)[name] = list;
    engine.on(name, (event) => list.push(event));
  }
  return { engine, seen, request: requestsOf(engine) };
}

const reasons = (seen: Seen) => seen.missed.map((event) => event.reason);

afterEach(() => {
  vi.useRealTimers();
});

describe('lifecycle events: load', () => {
  it('a session read is `loaded`; a request without one is `missed` with the reason', async () => {
    const { seen, request } = watched();
    const first = await request(undefined, (session) => void (session.n = 1));
    expect(reasons(seen)).toEqual(['no-cookie']);
    expect(seen.created).toHaveLength(1);
    const second = await request(first.cookie);
    expect(seen.loaded).toEqual([{ handle: seen.created[0]!.handle, store: 'memory' }]);
    // A handle, never the id: the cookie's id appears nowhere in what listeners get.
    const id = second.session.id;
    expect(JSON.stringify(seen)).not.toContain(id);
  });

  it('malformed, forged and unknown cookies are told apart', async () => {
    const { seen, request } = watched();
    const { cookie } = await request(undefined, (session) => void (session.n = 1));
    const value = cookie!.split('=')[1]!;
    const [id, signature] = value.split('.');
    await request('session=not-a-session-id');
    const forged = `${id}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    await request(`session=${forged}`);
    // A well-signed id with no record: signed by the same secret through another engine's cookie.
    const other = new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: SECRET, logger: quiet });
    const elsewhere = await requestsOf(other)(undefined, (session) => void (session.n = 1));
    await request(elsewhere.cookie);
    // Why a verified id has no record is looked up after the request (the store is read): wait for it.
    await vi.waitFor(() => expect(reasons(seen)).toEqual(['no-cookie', 'malformed', 'forged', 'unknown']));
  });

  it('a record that is not a session is `unreadable`; one written before a shorter absolute lifetime, `absolute-end`', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
    const store = memoryStore();
    const { seen, request } = watched({ store, absoluteLifetime: '2h' });
    const planted = await request(undefined, (session) => void (session.n = 1));
    await store.set(`session:${planted.session.id}`, { data: new TextEncoder().encode('not msgpack of a session'), expiresAt: Date.now() + 60_000 });
    await request(planted.cookie);
    // Written under a long absolute lifetime, read after the 2 hours this engine allows.
    const before = await requestsOf(new SessionEngine<Record<string, unknown>>({ store, secret: SECRET, logger: quiet, absoluteLifetime: '8h' }))(undefined, (session) => void (session.n = 1));
    vi.setSystemTime(new Date('2026-12-01T10:00:01Z'));
    await request(before.cookie);
    expect(reasons(seen)).toEqual(['no-cookie', 'unreadable', 'absolute-end']);
  });

  it('for sessions in a store, an expired session is `expired` and one past its absolute lifetime `absolute-end`, while the store holds the record', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
    const store = memoryStore();
    const idle = watched({ store, lifetime: '1h' });
    const capped = watched({ store, lifetime: '1d', absoluteLifetime: '1h' });
    const idleSession = await idle.request(undefined, (session) => void (session.n = 1));
    const cappedSession = await capped.request(undefined, (session) => void (session.n = 1));
    vi.setSystemTime(new Date('2026-12-01T09:00:01Z'));
    await idle.request(idleSession.cookie);
    await capped.request(cappedSession.cookie);
    await vi.waitFor(() => expect(reasons(idle.seen)).toEqual(['no-cookie', 'expired']));
    await vi.waitFor(() => expect(reasons(capped.seen)).toEqual(['no-cookie', 'absolute-end']));
    // Once cleanup has removed the record, nothing tells an expired session from one that never was.
    await store.deleteExpired();
    await idle.request(idleSession.cookie);
    await vi.waitFor(() => expect(reasons(idle.seen)).toEqual(['no-cookie', 'expired', 'unknown']));
  });

  it('a store without getExpired cannot tell: `unknown`; nobody listening, no read is made to find out', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
    const inner = memoryStore();
    const reads: string[] = [];
    // The memory store as a store that drops expired records would be (Redis, memcached): no getExpired.
    const store: Store = {
      name: 'no-expired-reads',
      get: (key) => (reads.push(key), inner.get(key)),
      set: (key, record) => inner.set(key, record),
      delete: (key) => inner.delete(key),
    };
    const { seen, request } = watched({ store, lifetime: '1h' });
    const { cookie } = await request(undefined, (session) => void (session.n = 1));
    vi.setSystemTime(new Date('2026-12-01T09:00:01Z'));
    await request(cookie);
    await vi.waitFor(() => expect(reasons(seen)).toEqual(['no-cookie', 'unknown']));
    // With a listener, the marker of a revoked session is looked for: one read more than the session's own.
    expect(reads.filter((key) => key.includes('ended.'))).toHaveLength(1);
    const unwatched = new SessionEngine<Record<string, unknown>>({ store, secret: SECRET, logger: quiet, lifetime: '1h' });
    reads.length = 0;
    await requestsOf(unwatched)(cookie);
    expect(reads).toEqual([expect.not.stringContaining('ended.')]);
  });

  it('an expired sealed cookie is `expired`, one sealed with another key `forged`', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T08:00:00Z'));
    const { seen, request } = watched({ store: cookieStore({ secret: SEAL_SECRET }), lifetime: '1h' });
    const { cookie } = await request(undefined, (session) => void (session.n = 1));
    const stranger = new SessionEngine<Record<string, unknown>>({ store: cookieStore({ secret: `${SEAL_SECRET}-another` }), secret: SECRET, logger: quiet });
    const foreign = await requestsOf(stranger)(undefined, (session) => void (session.n = 1));
    await request(foreign.cookie);
    vi.setSystemTime(new Date('2026-12-01T09:00:01Z'));
    await request(cookie);
    // A refused seal's reason is worked out after the request (with Web Crypto, with a promise): wait for it.
    await vi.waitFor(() => expect(reasons(seen)).toEqual(['no-cookie', 'forged', 'expired']));
    expect(seen.missed.every((event) => event.store === 'cookie')).toBe(true);
  });

  it('revokeSessions reports how many it ended; a revoked sealed cookie is `missed` as `revoked`', async () => {
    const { engine, seen, request } = watched({ userField: 'user' });
    const desktop = await request(undefined, (session) => void (session.user = 'ada'));
    const laptop = await request(undefined, (session) => void (session.user = 'ada'));
    expect(await engine.revokeSessions('ada', { except: laptop.session.id })).toBe(1);
    expect(seen.revoked).toEqual([{ store: 'memory', count: 1, cause: 'revoke' }]);
    // The revoked session in the store left a marker: its cookie is `revoked`, not `unknown`; the kept one loads.
    await request(desktop.cookie);
    await vi.waitFor(() => expect(reasons(seen)).toEqual(['no-cookie', 'no-cookie', 'revoked']));
    expect((await request(laptop.cookie)).session.isNew).toBe(false);
    const tablet = await request(undefined, (session) => void (session.user = 'ada'));
    expect(await engine.revokeSession('ada', seen.created.at(-1)!.handle)).toBe(true);
    await request(tablet.cookie);
    await vi.waitFor(() => expect(reasons(seen)).toEqual(['no-cookie', 'no-cookie', 'revoked', 'no-cookie', 'revoked']));
    // The marker is named as the session's record is (its id here, as the record's key is); with hashIds, by the hash.
    const markerKeys = async (store: Store | undefined) => {
      const keys: string[] = [];
      for await (const key of (store as MemoryStore).keys('session:ended.')) keys.push(key);
      return keys;
    };
    expect(await markerKeys(engine.store)).toEqual([`session:ended.${desktop.session.id}`, `session:ended.${tablet.session.id}`]);
    const hashed = watched({ userField: 'user', hashIds: true });
    const kiosk = await hashed.request(undefined, (session) => void (session.user = 'ada'));
    await hashed.engine.revokeSessions('ada');
    await hashed.request(kiosk.cookie);
    await vi.waitFor(() => expect(reasons(hashed.seen)).toEqual(['no-cookie', 'revoked']));
    const [hashedMarker] = await markerKeys(hashed.engine.store);
    expect(hashedMarker).toMatch(/^session:ended\.[A-Za-z0-9_-]{43}$/);
    expect(hashedMarker).not.toContain(kiosk.session.id);

    const sealed = watched({ store: cookieStore({ secret: SEAL_SECRET }), userField: 'user', revocations: { store: memoryStore() } });
    const phone = await sealed.request(undefined, (session) => void (session.user = 'ada'));
    await sealed.engine.revokeSessions('ada');
    expect(sealed.seen.revoked).toEqual([{ store: 'cookie', count: 0, cause: 'revoke' }]);
    await sealed.request(phone.cookie);
    expect(reasons(sealed.seen)).toEqual(['no-cookie', 'revoked']);
  });

  it('a value planted where a marker would be is no marker: `unknown`, with one warning naming the key by its handle', async () => {
    const warnings: string[] = [];
    const store = memoryStore();
    const { seen, request } = watched({ store, logger: { warn: (message) => warnings.push(message), info: () => {} } });
    const other = await requestsOf(new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: SECRET, logger: quiet }))(undefined, (session) => void (session.n = 1));
    await store.set(`session:ended.${other.session.id}`, { data: new Uint8Array(1 << 16).fill(7), expiresAt: Date.now() + 60_000 });
    await request(other.cookie);
    await vi.waitFor(() => expect(reasons(seen)).toEqual(['unknown']));
    expect(warnings).toEqual([expect.stringContaining('session:ended.<handle ')]);
    expect(warnings[0]).not.toContain(other.session.id);
  });

  it('a session maxSessionsPerUser ends to make room for a login is `revoked` with the cause `limit`', async () => {
    const { seen, request } = watched({ userField: 'user', maxSessionsPerUser: 1 });
    const phone = await request(undefined, (session) => void (session.user = 'ada'));
    await request(undefined, (session) => void (session.user = 'ada'));
    expect(seen.revoked).toEqual([{ store: 'memory', count: 1, cause: 'limit' }]);
    await request(phone.cookie);
    await vi.waitFor(() => expect(reasons(seen)).toEqual(['no-cookie', 'no-cookie', 'revoked']));
  });
});

describe('lifecycle events: a stored session that fails its schema', () => {
  const Shape = z.object({ cart: z.array(z.object({ sku: z.string(), qty: z.number() })) });
  const upgrade = (data: Record<string, unknown>) => ({ ...data, cart: (data.cart as string[]).map((sku) => ({ sku, qty: 1 })) });

  /** A session of the old shape (a cart of SKUs) written without a schema, and an engine with `options` over the same store, watched. */
  async function oldCart(options: SessionOptions) {
    const store = memoryStore();
    const written = await requestsOf(new SessionEngine<Record<string, unknown>>({ store, secret: SECRET, logger: quiet }))(undefined, (session) => void (session.cart = ['secret-sku']));
    return { ...watched({ store, schema: Shape, ...options }), cookie: written.cookie, id: written.session.id };
  }

  it("with onInvalid 'fresh' (the default) is `missed` as `invalid`, named by the fresh session's handle, with neither the id nor the data", async () => {
    const { seen, request, cookie, id } = await oldCart({});
    const { session } = await request(cookie);
    expect(session.isNew).toBe(true);
    expect(reasons(seen)).toEqual(['invalid']);
    expect(seen.loaded).toEqual([]);
    const payload = JSON.stringify(seen.missed);
    expect(payload).not.toContain(id);
    expect(payload).not.toContain('secret-sku');
    // The handle is the fresh session's: the one `created` names once it is written.
    await request(undefined);
    expect(seen.missed[0]!.handle).not.toBe(seen.missed[1]!.handle);
  });

  it('an upgrade whose result does not match either is `invalid`; one that mends the data is `loaded`; with no session given (an error), neither', async () => {
    const failed = await oldCart({ onInvalid: (data) => data });
    await failed.request(failed.cookie);
    expect(reasons(failed.seen)).toEqual(['invalid']);
    const mended = await oldCart({ onInvalid: upgrade });
    const { session } = await mended.request(mended.cookie);
    expect(session.isNew).toBe(false);
    expect(mended.seen.missed).toEqual([]);
    expect(mended.seen.loaded).toHaveLength(1);
    // onInvalid 'error', or an upgrade that throws: the load fails and the application's error handling has it.
    for (const onInvalid of ['error', () => { throw new Error('cannot upgrade'); }] as const) {
      const { engine, seen, cookie } = await oldCart({ onInvalid });
      await expect(engine.load(cookie)).rejects.toThrow();
      expect([...seen.missed, ...seen.loaded]).toEqual([]);
    }
  });
});

describe('lifecycle events: commit and controls', () => {
  it('created, saved, touched, regenerated and destroyed, each once its write is done', async () => {
    const { seen, request } = watched({ touchAfter: 0 });
    const first = await request(undefined, (session) => void (session.n = 1));
    const second = await request(first.cookie, (session) => void (session.n = 2));
    await request(second.cookie);
    const handle = seen.created[0]!.handle;
    expect(seen.saved).toEqual([{ handle, store: 'memory' }]);
    expect(seen.touched).toEqual([{ handle, store: 'memory' }]);
    const renewed = await request(second.cookie, (session) => session.regenerate());
    expect(seen.regenerated).toHaveLength(1);
    expect(seen.regenerated[0]!.previous).toBe(handle);
    expect(seen.regenerated[0]!.handle).not.toBe(handle);
    await request(renewed.cookie, (session) => session.destroy());
    expect(seen.destroyed).toEqual([{ handle: seen.regenerated[0]!.handle, store: 'memory' }]);
  });

  it('a compare-and-set that lost and merged is a `conflict`', async () => {
    const { engine, seen, request } = watched();
    const { cookie } = await request(undefined, (session) => void (session.a = 0));
    const one = await engine.load(cookie);
    const two = await engine.load(cookie);
    one.a = 1;
    await engine.commit(one).persist();
    two.b = 2;
    await engine.commit(two).persist();
    expect(seen.conflict).toEqual([{ handle: seen.created[0]!.handle, store: 'memory', attempts: 1 }]);
    expect((await engine.load(cookie)).b).toBe(2);
  });

  it('a request that waits for its session lock is `lockWaited`; one that gives up `lockTimedOut`', async () => {
    const { engine, seen, request } = watched({ lock: { wait: '200ms', lease: '5s' } });
    const { cookie } = await request(undefined, (session) => void (session.n = 1));
    const holder = await engine.load(cookie);
    const waiting = engine.load(cookie);
    setTimeout(() => void engine.finish(holder), 30);
    const waited = await waiting;
    expect(seen.lockWaited).toHaveLength(1);
    expect(seen.lockWaited[0]!.waitedMs).toBeGreaterThanOrEqual(20);
    await expect(engine.load(cookie)).rejects.toThrow(/lock/);
    expect(seen.lockTimedOut).toHaveLength(1);
    expect(seen.lockTimedOut[0]!.handle).toBe(seen.created[0]!.handle);
    await engine.finish(waited);
  });

  it('a failed store call is `storeError` with the store, its action and how long it ran', async () => {
    const { engine, seen } = watched({ store: new StallingStore() });
    // A cookie this engine signed (the same secret), for a record the store then fails to read.
    const signed = await requestsOf(new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: SECRET, logger: quiet }))(undefined, (session) => void (session.n = 1));
    await expect(engine.load(signed.cookie)).rejects.toThrow(StoreError);
    expect(seen.storeError).toHaveLength(1);
    const [failure] = seen.storeError;
    expect(failure).toMatchObject({ store: 'stalling', action: 'get' });
    expect(failure!.durationMs).toBeGreaterThanOrEqual(20);
    expect(failure!.error).toBeInstanceOf(StoreError);
  });
});

describe('lifecycle events: listeners', () => {
  it('a throwing listener never breaks a request and is reported once', async () => {
    const warnings: string[] = [];
    const engine = new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: SECRET, logger: { warn: (message) => warnings.push(message), info: () => {} } });
    engine.on('missed', () => {
      throw new Error('listener bug');
    });
    const request = requestsOf(engine);
    await request(undefined, (session) => void (session.n = 1));
    await request(undefined);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/"missed" session event listener threw \(listener bug\)/);
  });

  it('listeners given as the `events` option, and on() unsubscribes', async () => {
    const missed: string[] = [];
    const engine = new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: SECRET, logger: quiet, events: { missed: (event) => missed.push(event.reason) } });
    const created: string[] = [];
    const off = engine.on('created', (event) => created.push(event.handle));
    const request = requestsOf(engine);
    await request(undefined, (session) => void (session.n = 1));
    off();
    await request(undefined, (session) => void (session.n = 1));
    expect(missed).toEqual(['no-cookie', 'no-cookie']);
    expect(created).toHaveLength(1);
  });

  it('misconfigured events fail at start-up, naming what to change', () => {
    expect(() => new SessionEngine<Record<string, unknown>>({ store: memoryStore(), events: { mised: () => {} } as never })).toThrow(/events\.mised is not a session event/);
    expect(() => new SessionEngine<Record<string, unknown>>({ store: memoryStore(), events: { missed: 'log' } as never })).toThrow(/events\.missed must be a function/);
  });
});

describe('bind: a suspicious-change signal, never a logout', () => {
  const at = (clientAddress: string, userAgent: string) => ({ clientAddress, userAgent });

  it('a signed-in session remembers where it signed in; a request from elsewhere is `suspicious`, and the session stays', async () => {
    const store = memoryStore();
    const { engine, seen } = watched({ store, userField: 'user', bind: { ip: true, userAgent: true } });
    const login = await engine.load(undefined);
    login.user = 'ada';
    const pending = engine.commit(login, at('192.0.2.1', 'Firefox'));
    await pending.persist();
    const cookie = pending.setCookies[0]!.split(';')[0];
    // The store keeps hashes of them, never the address or the user agent.
    const stored = Buffer.from(store.getSync(`session:${login.id}`)!.data).toString('latin1');
    expect(stored).not.toContain('192.0.2.1');
    expect(stored).not.toContain('Firefox');
    for (const [address, agent] of [['192.0.2.1', 'Firefox'], ['198.51.100.7', 'Firefox'], ['198.51.100.7', 'curl']] as const) {
      const session = await engine.load(cookie);
      expect(session.user).toBe('ada');
      await engine.commit(session, at(address, agent)).persist();
    }
    expect(seen.suspicious.map((event) => event.changed)).toEqual([['ip'], ['ip', 'userAgent']]);
    expect(seen.suspicious[0]!.handle).toBe(seen.created[0]!.handle);
  });

  it('bind needs userField and a part to compare', () => {
    expect(() => new SessionEngine<Record<string, unknown>>({ store: memoryStore(), bind: { ip: true } })).toThrow(/bind needs userField/);
    expect(() => new SessionEngine<Record<string, unknown>>({ store: memoryStore(), userField: 'user', bind: {} })).toThrow(/at least one true/);
  });
});

/** A store whose reads never answer: the shared store call's timeout fails them (stores/shared/call.ts). */
class StallingStore implements Store {
  readonly name = 'stalling';
  readonly timeout = 25;

  get(): Promise<StoreRecord | undefined> {
    return storeCall(this, 'get', 'Is the server up?', () => new Promise<StoreRecord | undefined>(() => {}));
  }

  async set(): Promise<string | undefined> {
    return undefined;
  }

  async delete(): Promise<void> {}
}
