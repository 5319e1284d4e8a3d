import { describe, expect, it } from 'vitest';
import { SessionEngine, type Session } from '../../src/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { CountingStore } from '../helpers/counting-store.js';

interface Data {
  user: string;
  count: number;
  cart: string[];
  profile: { name: string; tags: string[] };
  [key: string]: unknown;
}

const SECRET = 'a-test-secret-that-is-long-enough';
const quiet = { warn: () => {}, info: () => {} };

function setup(options: SessionOptions = {}) {
  const store = new CountingStore();
  const engine = new SessionEngine<Data>({ store, logger: quiet, ...options });
  /** Runs one request: load from the cookie, let `handler` work, commit; returns the new cookie header. */
  async function request(cookie: string | undefined, handler: (session: Session<Data>) => void = () => {}) {
    const session = await engine.load(cookie);
    handler(session);
    const pending = engine.commit(session);
    await pending.persist();
    return { session, setCookie: pending.setCookies[0], cookie: pending.setCookies[0] ? pending.setCookies[0].split(';')[0] : cookie };
  }
  return { store, engine, request };
}

describe('engine: loading', () => {
  it('a request without a cookie gets a new empty session and nothing is stored or set', async () => {
    const { store, request } = setup();
    const { session, setCookie } = await request(undefined);
    expect(session.isNew).toBe(true);
    expect(Object.keys(session)).toEqual([]);
    expect(setCookie).toBeUndefined();
    expect(store.writes).toBe(0);
  });

  it('ids are 32 random bytes in base64url by default, different every time', async () => {
    const { engine } = setup();
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) ids.add((await engine.load(undefined)).id);
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('idLength sets the bytes of entropy', async () => {
    const { engine } = setup({ idLength: 24 });
    expect((await engine.load(undefined)).id).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('never adopts an unknown id sent by the client (anti-fixation)', async () => {
    const { store, request } = setup();
    const chosen = 'A'.repeat(43);
    const { session, cookie } = await request(`session=${chosen}`, (s) => {
      s.user = 'alice';
    });
    expect(session.id).not.toBe(chosen);
    expect(cookie).not.toContain(chosen);
    expect(await store.inner.get(`session:${chosen}`)).toBeUndefined();
  });

  it('an expired record is a fresh session even if the store still returns it', async () => {
    const { store, engine, request } = setup({ lifetime: 1 });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    // Simulate a store without native expiry returning a stale record.
    const key = `session:${first.session.id}`;
    const stale = await store.inner.get(key);
    store.get = async () => ({ ...stale!, expiresAt: Date.now() - 1 });
    const next = await engine.load(first.cookie);
    expect(next.isNew).toBe(true);
    expect(next.user).toBeUndefined();
  });

  it('a record the serializer cannot read is a fresh session with one warning naming the store', async () => {
    const warnings: string[] = [];
    const { store, request } = setup({ logger: { warn: (m) => warnings.push(m), info: () => {} } });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    await store.inner.set(`session:${first.session.id}`, { data: new Uint8Array([0xc1, 0xff, 0x00]), expiresAt: Date.now() + 60_000 });
    const next = await request(first.cookie);
    expect(next.session.isNew).toBe(true);
    expect(next.session.id).not.toBe(first.session.id);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('counting-memory');
  });

  it("another serializer's output is a fresh session, not a crash", async () => {
    const { store, request } = setup({ serializer: 'json' });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    const msgpackEngine = new SessionEngine({ store, logger: quiet });
    const session = await msgpackEngine.load(first.cookie);
    expect(session.isNew).toBe(true);
  });
});

describe('engine: saving', () => {
  it('a modified session is written with the lifetime as TTL and gets a persistent cookie', async () => {
    const { store, request } = setup({ lifetime: '2h' });
    const before = Date.now();
    const { session, setCookie } = await request(undefined, (s) => {
      s.user = 'alice';
    });
    const record = await store.inner.get(`session:${session.id}`);
    expect(record!.expiresAt).toBeGreaterThanOrEqual(before + 7_200_000);
    expect(record!.expiresAt).toBeLessThanOrEqual(Date.now() + 7_200_000);
    expect(setCookie).toMatch(/Max-Age=7200/);
    expect(setCookie).toMatch(/Expires=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
  });

  it('an unmodified session costs one read and no write, and sets no cookie', async () => {
    const { store, request } = setup();
    const first = await request(undefined, (s) => {
      s.user = 'alice';
      s.cart = ['a'];
    });
    store.reset();
    const second = await request(first.cookie, (s) => {
      expect(s.user).toBe('alice');
      expect(s.cart).toEqual(['a']);
    });
    expect(store.calls.get).toBe(1);
    expect(store.writes).toBe(0);
    expect(second.setCookie).toBeUndefined();
  });

  it('nested mutation is saved without any flag', async () => {
    const { request } = setup();
    const first = await request(undefined, (s) => {
      s.cart = [];
      s.profile = { name: 'A', tags: [] };
    });
    await request(first.cookie, (s) => {
      s.cart!.push('apple');
      s.profile!.tags.push('vip');
    });
    const third = await request(first.cookie);
    expect(third.session.cart).toEqual(['apple']);
    expect(third.session.profile).toEqual({ name: 'A', tags: ['vip'] });
  });

  it('a change inside a Map or Set is saved, and an unchanged one writes nothing', async () => {
    const { store, request } = setup();
    const first = await request(undefined, (s) => {
      s.prefs = new Map([['theme', 'dark']]);
      s.seen = new Set(['a']);
    });
    await request(first.cookie, (s) => {
      (s.prefs as Map<string, string>).set('lang', 'de');
      (s.seen as Set<string>).add('b');
    });
    store.reset();
    const third = await request(first.cookie);
    expect(third.session.prefs).toEqual(new Map([['theme', 'dark'], ['lang', 'de']]));
    expect(third.session.seen).toEqual(new Set(['a', 'b']));
    expect(store.writes).toBe(0);
  });

  it('sessions committed one after another keep their own bytes (the encoder reuses its buffer)', async () => {
    const { engine, request } = setup();
    const alice = await request(undefined, (s) => void (s.user = 'alice'));
    const bob = await request(undefined, (s) => void (s.user = 'bob'));
    // Both change, both commit before either persists: each must write what it held.
    const aliceSession = await engine.load(alice.cookie);
    const bobSession = await engine.load(bob.cookie);
    aliceSession.count = 1;
    bobSession.count = 2;
    const pendingAlice = engine.commit(aliceSession);
    const pendingBob = engine.commit(bobSession);
    await Promise.all([pendingAlice.persist(), pendingBob.persist()]);
    expect((await request(alice.cookie)).session).toMatchObject({ user: 'alice', count: 1 });
    expect((await request(bob.cookie)).session).toMatchObject({ user: 'bob', count: 2 });
  });

  it('an emptied session is deleted from the store and its cookie cleared', async () => {
    const { store, request } = setup();
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    const second = await request(first.cookie, (s) => {
      delete s.user;
    });
    expect(await store.inner.get(`session:${first.session.id}`)).toBeUndefined();
    expect(second.setCookie).toMatch(/^session=;/);
    expect(second.setCookie).toMatch(/Max-Age=0/);
  });

  it('a non-permanent session gets a browser-session cookie while the server keeps it for the lifetime', async () => {
    const { store, request } = setup({ permanent: false, lifetime: 3600 });
    const { session, setCookie } = await request(undefined, (s) => {
      s.user = 'alice';
    });
    expect(setCookie).not.toMatch(/Expires|Max-Age/i);
    const record = await store.inner.get(`session:${session.id}`);
    expect(record!.expiresAt - Date.now()).toBeGreaterThan(3_590_000);
  });

  it('permanent can be changed per session and is remembered', async () => {
    const { request } = setup({ permanent: true });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
      s.permanent = false;
    });
    expect(first.setCookie).not.toMatch(/Expires/);
    const second = await request(first.cookie);
    expect(second.session.permanent).toBe(false);
  });

  it('refreshEachRequest touches an unmodified session once the throttle has passed', async () => {
    const { store, request } = setup({ touchAfter: 0 });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    store.reset();
    const second = await request(first.cookie);
    expect(store.calls.touch).toBe(1);
    expect(store.calls.set + store.calls.setIf).toBe(0);
    expect(second.setCookie).toMatch(/Max-Age=/);
  });

  it('the touch throttle skips the refresh within touchAfter', async () => {
    const { store, request } = setup({ touchAfter: '1h' });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    store.reset();
    await request(first.cookie);
    await request(first.cookie);
    expect(store.writes).toBe(0);
  });

  it('refreshEachRequest false never touches', async () => {
    const { store, request } = setup({ refreshEachRequest: false, touchAfter: 0 });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    store.reset();
    const second = await request(first.cookie);
    expect(store.writes).toBe(0);
    expect(second.setCookie).toBeUndefined();
  });

  it('a non-permanent session is touched on the server but gets no cookie', async () => {
    const { store, request } = setup({ permanent: false, touchAfter: 0 });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    store.reset();
    const second = await request(first.cookie);
    expect(store.calls.touch).toBe(1);
    expect(second.setCookie).toBeUndefined();
  });
});

describe('engine: regenerate and destroy', () => {
  it('regenerate keeps the data under a new id and deletes the old record', async () => {
    const { store, request } = setup();
    const first = await request(undefined, (s) => {
      s.cart = ['a'];
    });
    const second = await request(first.cookie, (s) => {
      s.regenerate();
      s.user = 'alice';
    });
    expect(second.session.id).not.toBe(first.session.id);
    expect(await store.inner.get(`session:${first.session.id}`)).toBeUndefined();
    const third = await request(second.cookie);
    expect(third.session.id).toBe(second.session.id);
    expect(third.session.cart).toEqual(['a']);
    expect(third.session.user).toBe('alice');
    // The old cookie is now worthless.
    const replay = await request(first.cookie);
    expect(replay.session.isNew).toBe(true);
  });

  it('destroy deletes the record and clears the cookie', async () => {
    const { store, request } = setup();
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    const second = await request(first.cookie, (s) => void s.destroy());
    expect(await store.inner.get(`session:${first.session.id}`)).toBeUndefined();
    expect(second.setCookie).toMatch(/Max-Age=0/);
    expect(Object.keys(second.session)).toEqual([]);
  });

  it('data set after destroy starts a new session under a new id', async () => {
    const { request } = setup();
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    const second = await request(first.cookie, (s) => {
      void s.destroy();
      s.notice = 'logged out';
    });
    expect(second.session.id).not.toBe(first.session.id);
    expect((await request(second.cookie)).session.notice).toBe('logged out');
    expect((await request(first.cookie)).session.isNew).toBe(true);
  });
});

describe('engine: signed ids', () => {
  it('signs the cookie and reads it back', async () => {
    const { request } = setup({ secret: SECRET });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    expect(first.cookie).toMatch(/^session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    expect((await request(first.cookie)).session.user).toBe('alice');
  });

  it('an unsigned or badly signed id is a fresh session', async () => {
    const { request } = setup({ secret: SECRET });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    const id = first.session.id;
    expect((await request(`session=${id}`)).session.isNew).toBe(true);
    const flipped = first.cookie!.slice(0, -1) + (first.cookie!.endsWith('A') ? 'B' : 'A');
    expect((await request(flipped)).session.isNew).toBe(true);
  });

  it('rotates keys: the first secret signs, all verify', async () => {
    const store = new CountingStore();
    const old = new SessionEngine<Data>({ store, secret: 'the-old-secret-0123456789', logger: quiet });
    const session = await old.load(undefined);
    session.user = 'alice';
    const pending = old.commit(session);
    await pending.persist();
    const cookie = pending.setCookies[0]!.split(';')[0];
    const rotated = new SessionEngine<Data>({ store, secret: ['the-new-secret-0123456789', 'the-old-secret-0123456789'], logger: quiet });
    expect((await rotated.load(cookie)).user).toBe('alice');
    const dropped = new SessionEngine<Data>({ store, secret: 'the-new-secret-0123456789', logger: quiet });
    expect((await dropped.load(cookie)).isNew).toBe(true);
  });
});

describe('engine: concurrent requests of one session (compare-and-set and merge)', () => {
  async function twoAtOnce(
    initial: (s: Session<Data>) => void,
    a: (s: Session<Data>) => void,
    b: (s: Session<Data>) => void,
  ) {
    const { engine, request } = setup();
    const first = await request(undefined, initial);
    const sa = await engine.load(first.cookie);
    const sb = await engine.load(first.cookie);
    a(sa);
    b(sb);
    await engine.commit(sa).persist();
    await engine.commit(sb).persist();
    return (await request(first.cookie)).session;
  }

  it('keys set by two requests are both kept', async () => {
    const result = await twoAtOnce(
      (s) => (s.base = 1),
      (s) => (s.a = 1),
      (s) => (s.b = 2),
    );
    expect(result).toMatchObject({ base: 1, a: 1, b: 2 });
  });

  it('a key this request deleted stays deleted', async () => {
    const result = await twoAtOnce(
      (s) => Object.assign(s, { x: 1, y: 1 }),
      (s) => (s.z = 1),
      (s) => delete s.x,
    );
    expect(result).toMatchObject({ y: 1, z: 1 });
    expect('x' in result).toBe(false);
  });

  it('a key another request deleted is not resurrected', async () => {
    const result = await twoAtOnce(
      (s) => Object.assign(s, { x: 1, y: 1 }),
      (s) => delete s.x,
      (s) => (s.y = 2),
    );
    expect('x' in result).toBe(false);
    expect(result.y).toBe(2);
  });

  it('the merge is per top-level key, never deep: the same key is last writer wins', async () => {
    const result = await twoAtOnce(
      (s) => (s.profile = { name: 'A', tags: [] }),
      (s) => s.profile!.tags.push('from-a'),
      (s) => (s.profile!.name = 'B'),
    );
    expect(result.profile).toEqual({ name: 'B', tags: [] });
  });

  it('destroy is never undone by a concurrent write to the old id', async () => {
    const { store, engine, request } = setup();
    const first = await request(undefined, (s) => (s.user = 'alice'));
    const sa = await engine.load(first.cookie);
    const sb = await engine.load(first.cookie);
    void sa.destroy();
    sb.cart = ['x'];
    await engine.commit(sa).persist();
    await engine.commit(sb).persist();
    expect(await store.inner.get(`session:${first.session.id}`)).toBeUndefined();
  });

  it('regenerate is never undone by a concurrent write to the old id', async () => {
    const { store, engine, request } = setup();
    const first = await request(undefined, (s) => (s.user = 'alice'));
    const sa = await engine.load(first.cookie);
    const sb = await engine.load(first.cookie);
    sa.regenerate();
    sb.cart = ['x'];
    await engine.commit(sa).persist();
    await engine.commit(sb).persist();
    expect(await store.inner.get(`session:${first.session.id}`)).toBeUndefined();
    expect(await store.inner.get(`session:${sa.id}`)).toBeDefined();
  });

  it('50 concurrent requests each setting a different key leave all 50 keys', async () => {
    const { engine, request } = setup();
    const first = await request(undefined, (s) => (s.start = true));
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const session = await engine.load(first.cookie);
        session[`k${i}`] = i;
        await engine.commit(session).persist();
      }),
    );
    const result = (await request(first.cookie)).session;
    for (let i = 0; i < 50; i++) expect(result[`k${i}`]).toBe(i);
  });
});

describe('engine: signature spelling', () => {
  it('accepts only the canonical base64url spelling of a signature', async () => {
    const { request } = setup({ secret: SECRET });
    const first = await request(undefined, (s) => {
      s.user = 'alice';
    });
    const value = first.cookie!.slice('session='.length);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(value.at(-1)!);
    // The last of 43 characters carries 4 bits of the digest and 2 spare bits.
    const sameBytes = alphabet[(last & ~3) | ((last + 1) & 3)]!;
    const respelled = `session=${value.slice(0, -1)}${sameBytes}`;
    expect(Buffer.from(respelled.slice(-43), 'base64url')).toEqual(Buffer.from(value.slice(-43), 'base64url'));
    expect((await request(respelled)).session.isNew).toBe(true);
  });
});

describe('engine: hostile signatures', () => {
  it('a signature of the right length in non-ASCII characters is a fresh session, not a crash', async () => {
    const { request } = setup({ secret: SECRET });
    const id = 'A'.repeat(43);
    expect((await request(`session=${id}.${'é'.repeat(43)}`)).session.isNew).toBe(true);
  });
});
