import { describe, expect, it } from 'vitest';
import { persistCommit } from '../../src/core/commit.js';
import { SessionEngine } from '../../src/index.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { SqliteStore } from '../../src/stores/sqlite/index.js';

// What commit must notice in a loaded session, however the change was made (in place,
// deep inside, by reordering, beside the data), and what it must not take for a change.
// Any cheaper way of telling "unchanged" than encoding the session has to pass these.
// Each case runs four ways: on a record's first read (the commit encodes the session and
// compares bytes); read before, with plain data (the memory store's memo keeps the record
// decoded, ../../src/engine/memo/decoded-records.ts, and commit compares with that); written just
// before, with plain data (the write left the session kept as written, never decoded); and
// read before, with a Date and a Map (not kept: encoded and compared as on a first read).

type Data = Record<string, unknown>;
const quiet = { warn: () => {}, info: () => {} };
const cookieOf = (setCookies: readonly string[]) => setCookies[0]!.split(';')[0]!;

interface Mode {
  what: string;
  /** The session is read (and committed unchanged) twice before the read under test. */
  readBefore: boolean;
  /** Its data holds a Date and a Map, which are not plain data. */
  withObjects: boolean;
  /** Its last field was written by a request before the read under test (kept as written). */
  writtenBefore?: boolean;
}
const modes: Mode[] = [
  { what: 'first read', readBefore: false, withObjects: true },
  { what: 'read before, plain data (kept decoded)', readBefore: true, withObjects: false },
  { what: 'written before, plain data (kept as written)', readBefore: false, withObjects: false, writtenBefore: true },
  { what: 'read before, with a Date and a Map (not kept)', readBefore: true, withObjects: true },
];

const initial = (mode: Mode): Data => ({
  userId: 4711,
  name: 'ada',
  cart: ['apple', 'bread'],
  profile: { address: { city: 'Oslo' } },
  options: {},
  zero: 0,
  ...(mode.withObjects ? { since: new Date(1_700_000_000_000), tags: new Map([['a', 1]]) } : {}),
  nothing: null,
});

/** An engine on a memory store (msgpack, or `serializer`) with one session of `initial()` data, and its cookie. */
async function stored(mode: Mode, serializer?: 'json') {
  const engine = new SessionEngine<Data>({ store: new MemoryStore(), logger: quiet, ...(serializer ? { serializer } : {}) });
  const session = await engine.load(undefined);
  Object.assign(session, serializer === 'json' ? JSON.parse(JSON.stringify({ ...initial(mode), since: 'then', tags: { a: 1 } })) : initial(mode));
  if (mode.writtenBefore) delete session.nothing; // the last field comes with the second write
  const pending = engine.commit(session);
  await persistCommit(pending);
  const cookie = cookieOf(pending.setCookies);
  if (mode.writtenBefore) {
    const before = engine.loadSync(cookie);
    before.nothing = null;
    const written = engine.commit(before);
    expect(written.needsPersist).toBe(true);
    await persistCommit(written);
  }
  if (mode.readBefore) {
    for (let read = 0; read < 2; read++) expect(engine.commit(engine.loadSync(cookie)).needsPersist).toBe(false);
  }
  return { engine, cookie };
}

/** Loads the session, applies `change`, commits: whether the store was written, and the data read back afterwards. */
async function afterChange(mode: Mode, change: (session: Data & { permanent: boolean }) => void, serializer?: 'json') {
  const { engine, cookie } = await stored(mode, serializer);
  const session = engine.loadSync(cookie);
  change(session);
  const pending = engine.commit(session);
  await persistCommit(pending);
  const again = engine.loadSync(cookie);
  return { wrote: pending.needsPersist, again: again as Data & { permanent: boolean } };
}

describe.each(modes)('commit of a loaded session, $what: unchanged or not', (mode) => {
  it('a session read and not changed is neither written nor sent a cookie', async () => {
    const { engine, cookie } = await stored(mode);
    const session = engine.loadSync(cookie);
    expect(session.name).toBe('ada');
    expect((session.cart as string[]).length).toBe(2);
    const pending = engine.commit(session);
    expect(pending.needsPersist).toBe(false);
    expect(pending.setCookies).toEqual([]);
  });

  it('the same primitive assigned again, or a new array with the same items, is no change', async () => {
    const { wrote } = await afterChange(mode, (session) => {
      session.name = 'ada';
      session.userId = 4711;
      session.cart = ['apple', 'bread'];
    });
    expect(wrote).toBe(false);
  });

  it('a NaN field, which is never === itself, is found unchanged', async () => {
    const { engine, cookie } = await stored(mode);
    const session = engine.loadSync(cookie);
    session.ratio = Number.NaN;
    await persistCommit(engine.commit(session));
    for (let read = 0; read < 3; read++) expect(engine.commit(engine.loadSync(cookie)).needsPersist).toBe(false);
  });

  it('an array or an object reassigned a copy of itself is no change', async () => {
    const { wrote } = await afterChange(mode, (session) => {
      session.profile = structuredClone(session.profile);
      session.options = {};
      session.nothing = null;
    });
    expect(wrote).toBe(false);
  });

  it('negative zero for zero, which msgpack stores as the same integer 0, is no change', async () => {
    const { wrote, again } = await afterChange(mode, (session) => (session.zero = -0));
    expect(wrote).toBe(false);
    expect(Object.is(again.zero, 0)).toBe(true);
  });

  type Change = [string, (session: Data & { permanent: boolean }) => void, (again: Data & { permanent: boolean }) => void];
  const objectChanges: Change[] = [
    ['a Date changed in place', (s) => (s.since as Date).setTime(0), (a) => expect((a.since as Date).getTime()).toBe(0)],
    ['a Map changed in place', (s) => (s.tags as Map<string, number>).set('b', 2), (a) => expect([...(a.tags as Map<string, number>)]).toEqual([['a', 1], ['b', 2]])],
  ];
  const changes: Change[] = [
    ...(mode.withObjects ? objectChanges : []),
    ['a primitive replaced', (s) => (s.name = 'grace'), (a) => expect(a.name).toBe('grace')],
    ['a number changed to a string of it', (s) => (s.userId = '4711'), (a) => expect(a.userId).toBe('4711')],
    ['an item pushed onto an array', (s) => (s.cart as string[]).push('cheese'), (a) => expect(a.cart).toEqual(['apple', 'bread', 'cheese'])],
    ['an array item replaced in place', (s) => ((s.cart as string[])[0] = 'pear'), (a) => expect(a.cart).toEqual(['pear', 'bread'])],
    [
      'a field changed deep inside an object',
      (s) => ((s.profile as { address: { city: string } }).address.city = 'Bergen'),
      (a) => expect(a.profile).toEqual({ address: { city: 'Bergen' } }),
    ],
    ['an empty object replaced by a Date, which has no own keys either', (s) => (s.options = new Date(0)), (a) => expect(a.options).toEqual(new Date(0))],
    ['an empty object replaced by an empty array', (s) => (s.options = []), (a) => expect(a.options).toEqual([])],
    ['an array replaced by an object with the same keys', (s) => (s.cart = { 0: 'apple', 1: 'bread' }), (a) => expect(a.cart).toEqual({ 0: 'apple', 1: 'bread' })],
    ['a field added', (s) => (s.extra = 1), (a) => expect(a.extra).toBe(1)],
    ['a field deleted', (s) => delete s.name, (a) => expect(a).not.toHaveProperty('name')],
    [
      'a field deleted and set again to the same value (another order)',
      (s) => {
        delete s.userId;
        s.userId = 4711;
      },
      (a) => expect(Object.keys(a).at(-1)).toBe('userId'),
    ],
    [
      'a field replaced by another of the same count and an undefined value',
      (s) => {
        delete s.nothing;
        s.other = undefined;
      },
      (a) => expect(a).not.toHaveProperty('nothing'),
    ],
    [
      'the last field renamed, its value the same',
      (s) => {
        delete s.nothing;
        s.renamed = null;
      },
      (a) => expect(a).toHaveProperty('renamed', null),
    ],
    [
      'a nested field renamed, its value the same',
      (s) => {
        const profile = s.profile as Record<string, unknown>;
        profile.home = profile.address;
        delete profile.address;
      },
      (a) => expect(a.profile).toEqual({ home: { city: 'Oslo' } }),
    ],
    [
      "the session's own lifetime set (a part of the payload beside the data)",
      (s) => ((s as unknown as { cookie: { maxAge: number } }).cookie.maxAge = 30 * 86_400_000),
      (a) => expect((a as unknown as { cookie: { maxAge: number } }).cookie.maxAge).toBeGreaterThan(29 * 86_400_000),
    ],
    ['the permanent flag turned off', (s) => (s.permanent = false), (a) => expect(a.permanent).toBe(false)],
    [
      "a cookie setting of the session's own (a part of the payload that is an object)",
      (s) => ((s as unknown as { cookie: { sameSite: string } }).cookie.sameSite = 'strict'),
      (a) => expect((a as unknown as { cookie: { sameSite: string } }).cookie.sameSite).toBe('strict'),
    ],
  ];
  for (const [what, change, check] of changes) {
    it(`${what}: written, and read back so`, async () => {
      const { wrote, again } = await afterChange(mode, change);
      expect(wrote).toBe(true);
      check(again);
    });
  }

  it('with the JSON codec too', async () => {
    expect((await afterChange(mode, () => {}, 'json')).wrote).toBe(false);
    const changed = await afterChange(mode, (session) => (session.cart as string[]).push('cheese'), 'json');
    expect(changed.wrote).toBe(true);
    expect(changed.again.cart).toEqual(['apple', 'bread', 'cheese']);
  });

  it('a second commit after a write compares with what was written', async () => {
    const { engine, cookie } = await stored(mode);
    const session = engine.loadSync(cookie);
    (session.cart as string[]).push('cheese');
    await persistCommit(engine.commit(session));
    expect(engine.commit(session).needsPersist).toBe(false);
    (session.cart as string[]).pop();
    const pending = engine.commit(session);
    expect(pending.needsPersist).toBe(true);
    await persistCommit(pending);
    expect(engine.loadSync(cookie).cart).toEqual(['apple', 'bread']);
  });
});

// A binary is decoded as a copy of its bytes. Where a store hands out a Node Buffer
// (better-sqlite3; the sealed cookie, opened by node:crypto), a view of it would be changed
// by `bytes[0]++` too, and the session would compare equal to its "record" and not be saved.
describe.each([
  ['memory', () => new MemoryStore()],
  ['SQLite through better-sqlite3 (a Buffer per record)', () => new SqliteStore({ path: ':memory:', driver: 'better-sqlite3' })],
  ['sealed cookies (the opened seal is a Buffer)', () => cookieStore({ secret: 'change-detection-secret-0123456789abcdef' })],
] as [string, () => SessionOptions['store']][])('a binary field changed in place, %s', (_, store) => {
  it('is written, and read back changed, request after request', async () => {
    const engine = new SessionEngine<Data>({ store: store(), logger: quiet });
    const session = await engine.load(undefined);
    session.bytes = new Uint8Array([1, 2, 3]);
    let pending = engine.commit(session);
    await persistCommit(pending);
    let cookie = cookieOf(pending.setCookies);
    for (const expected of [2, 3]) {
      const loaded = await engine.load(cookie);
      (loaded.bytes as Uint8Array)[0]!++;
      pending = engine.commit(loaded);
      // Saved: a store write, or for a sealed cookie the cookie itself.
      expect(pending.needsPersist || pending.setCookies.length > 0).toBe(true);
      await persistCommit(pending);
      if (pending.setCookies.length > 0) cookie = cookieOf(pending.setCookies);
      expect([...((await engine.load(cookie)).bytes as Uint8Array)]).toEqual([expected, 2, 3]);
    }
  });
});
