import { describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import type { Codec } from '../../src/codec/codec.js';
import { persistCommit } from '../../src/core/commit.js';
import { SessionEngine } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory.js';

// The memory store's memo keeps a record decoded from its second read on
// (src/engine/memo/decoded-records.ts). What that must never change: each request owns its
// copy, a write is seen by the next read, stored data reaches no prototype.

type Data = Record<string, unknown>;
const quiet = { warn: () => {}, info: () => {} };

/** msgpack, counting its decodes: how a test sees whether a read decoded the record. */
function countingCodec(): Codec & { decodes: number } {
  const codec = {
    ...msgpackCodec,
    name: 'counted msgpack',
    decodes: 0,
    decode(bytes: Uint8Array) {
      codec.decodes++;
      return msgpackCodec.decode(bytes);
    },
  };
  return codec;
}

async function stored(data: Data, serializer: Codec | 'json' = countingCodec(), store = new MemoryStore()) {
  const engine = new SessionEngine<Data>({ store, logger: quiet, serializer });
  const session = await engine.load(undefined);
  Object.assign(session, data);
  const pending = engine.commit(session);
  await persistCommit(pending);
  return { engine, store, cookie: pending.setCookies[0]!.split(';')[0]! };
}

describe('records kept decoded in the memory store', () => {
  it('a record is decoded on its first two reads only; a write leaves it kept as written', async () => {
    const codec = countingCodec();
    const { engine, cookie } = await stored({ name: 'ada', cart: ['apple'] }, codec);
    for (let read = 0; read < 5; read++) expect(engine.loadSync(cookie).name).toBe('ada');
    expect(codec.decodes).toBe(2);
    const session = engine.loadSync(cookie);
    (session.cart as string[]).push('bread');
    await persistCommit(engine.commit(session));
    for (let read = 0; read < 5; read++) expect(engine.loadSync(cookie).cart).toEqual(['apple', 'bread']);
    expect(codec.decodes).toBe(2);
  });

  it('with a codec that does not promise to give plain data back as it was, a write empties the memo', async () => {
    const codec = countingCodec();
    const { engine, cookie } = await stored({ name: 'ada', cart: ['apple'] }, { ...codec, roundTripsPlainData: false, decode: (bytes) => codec.decode(bytes) });
    for (let read = 0; read < 3; read++) engine.loadSync(cookie);
    const session = engine.loadSync(cookie);
    (session.cart as string[]).push('bread');
    await persistCommit(engine.commit(session));
    for (let read = 0; read < 3; read++) expect(engine.loadSync(cookie).cart).toEqual(['apple', 'bread']);
    expect(codec.decodes).toBe(4); // two reads before the write, two after
  });

  it('a session written on every request is decoded once, and every read sees the last write', async () => {
    const codec = countingCodec();
    const { engine, cookie } = await stored({ counter: 0, visits: [] }, codec);
    for (let request = 1; request <= 10; request++) {
      const session = engine.loadSync(cookie);
      expect(session.counter).toBe(request - 1);
      expect(session.visits).toHaveLength(request - 1);
      session.counter = request;
      (session.visits as number[]).push(request);
      expect(persistCommit(engine.commit(session))).toBeUndefined(); // written at once
    }
    expect(engine.loadSync(cookie)).toMatchObject({ counter: 10, visits: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] });
    expect(codec.decodes).toBe(1);
  });

  it('what a request changes after its commit never reaches the kept copy', async () => {
    const { engine, cookie } = await stored({ cart: ['apple'], profile: { city: 'Oslo' } });
    const session = engine.loadSync(cookie);
    (session.cart as string[]).push('bread');
    await persistCommit(engine.commit(session));
    (session.cart as string[]).push('cheese');
    (session.profile as { city: string }).city = 'Bergen';
    const next = engine.loadSync(cookie);
    expect(next.cart).toEqual(['apple', 'bread']);
    expect(next.profile).toEqual({ city: 'Oslo' });
    expect(engine.commit(next).needsPersist).toBe(false);
  });

  it.each([
    ['undefined, stored as nil', undefined, null],
    ['-0, stored as the integer 0', -0, 0],
    ['a lone surrogate, stored as U+FFFD', 'a\ud800b', 'a\ufffdb'],
  ])('a write of %s is not kept as written: the next read decodes what was stored', async (_what, written, readBack) => {
    const codec = countingCodec();
    const { engine, cookie } = await stored({ name: 'ada' }, codec);
    const session = engine.loadSync(cookie);
    session.odd = written;
    await persistCommit(engine.commit(session));
    const next = engine.loadSync(cookie);
    expect(Object.is(next.odd, readBack)).toBe(true);
    expect(codec.decodes).toBe(2);
  });

  it('a memory store with keepDecoded: false keeps nothing a write brings either', async () => {
    const codec = countingCodec();
    const { engine, cookie } = await stored({ counter: 0 }, codec, new MemoryStore({ keepDecoded: false }));
    for (let request = 1; request <= 3; request++) {
      const session = engine.loadSync(cookie);
      session.counter = request;
      await persistCommit(engine.commit(session));
    }
    expect(engine.loadSync(cookie).counter).toBe(3);
    expect(codec.decodes).toBe(4);
  });

  it('a memory store with keepDecoded: false offers no memo: every read decodes', async () => {
    const codec = countingCodec();
    const { engine, cookie } = await stored({ name: 'ada' }, codec, new MemoryStore({ keepDecoded: false }));
    for (let read = 0; read < 4; read++) expect(engine.commit(engine.loadSync(cookie)).needsPersist).toBe(false);
    expect(codec.decodes).toBe(4);
  });

  it('a record with a Date is decoded on every read, and its Date stays a Date', async () => {
    const codec = countingCodec();
    const { engine, cookie } = await stored({ since: new Date(5) }, codec);
    for (let read = 0; read < 4; read++) expect(engine.loadSync(cookie).since).toEqual(new Date(5));
    expect(codec.decodes).toBe(4);
  });

  it("one request's changes, committed or not, never reach another request's copy", async () => {
    const { engine, cookie } = await stored({ profile: { address: { city: 'Oslo' } }, cart: ['apple'] });
    for (let read = 0; read < 2; read++) engine.loadSync(cookie);
    const first = engine.loadSync(cookie);
    (first.profile as { address: { city: string } }).address.city = 'Bergen';
    (first.cart as string[]).push('pear');
    const second = engine.loadSync(cookie);
    expect(second.profile).toEqual({ address: { city: 'Oslo' } });
    expect(second.cart).toEqual(['apple']);
    expect(engine.commit(second).needsPersist).toBe(false);
    expect(engine.commit(first).needsPersist).toBe(true);
  });

  it("another engine's write to the same store empties the memo", async () => {
    const { engine, store, cookie } = await stored({ name: 'ada' });
    for (let read = 0; read < 3; read++) engine.loadSync(cookie);
    const other = new SessionEngine<Data>({ store, logger: quiet, serializer: countingCodec() });
    const session = other.loadSync(cookie);
    session.name = 'grace';
    await persistCommit(other.commit(session));
    expect(engine.loadSync(cookie).name).toBe('grace');
  });

  it('an engine with another codec on the same store does not take the kept payload', async () => {
    const codec = countingCodec();
    const { engine, store, cookie } = await stored({ name: 'ada' }, codec);
    for (let read = 0; read < 3; read++) engine.loadSync(cookie);
    const other = countingCodec();
    const second = new SessionEngine<Data>({ store, logger: quiet, serializer: other });
    expect(second.loadSync(cookie).name).toBe('ada');
    expect(other.decodes).toBe(1);
  });

  it('JSON data with a __proto__ key is not kept, and reaches no prototype on any read', async () => {
    const { engine, cookie } = await stored(JSON.parse('{"x":{"__proto__":{"polluted":true}}}') as Data, 'json');
    for (let read = 0; read < 4; read++) {
      const session = engine.loadSync(cookie);
      const x = session.x as Record<string, unknown>;
      expect(Object.getPrototypeOf(x)).toBe(Object.prototype);
      expect(Object.hasOwn(x, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(engine.commit(session).needsPersist).toBe(false);
    }
  });

  it("a session's own cookie settings are kept too: unchanged reads write nothing, a change is written", async () => {
    const codec = countingCodec();
    const { engine, cookie } = await stored({ name: 'ada' }, codec);
    const first = engine.loadSync(cookie);
    first.cookie.sameSite = 'strict';
    await persistCommit(engine.commit(first));
    for (let read = 0; read < 4; read++) expect(engine.commit(engine.loadSync(cookie)).needsPersist).toBe(false);
    expect(codec.decodes).toBe(1); // the first load; the write left the session kept as written
    const changed = engine.loadSync(cookie);
    expect(changed.cookie.sameSite).toBe('strict');
    changed.cookie.sameSite = 'none';
    expect(engine.commit(changed).needsPersist).toBe(true);
  });
});
