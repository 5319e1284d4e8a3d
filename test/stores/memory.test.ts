import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/stores/memory.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describePlantedRecords } from '../conformance/planted-record-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { encryptedCapabilities, encryptedFixture } from '../helpers/encrypted.js';

describeStore('memory', async () => ({ store: new MemoryStore() }), ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'getSync', 'createSync', 'setIfSync', 'keys', 'getExpired']);

describe('MemoryStore bounds', () => {
  const record = (expiresAt = Date.now() + 60_000) => ({ data: new Uint8Array([1]), expiresAt });

  it('never holds more than maxEntries, evicting the least recently written', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) await store.set(key, record());
    await store.set('a', record()); // a is now the most recent write
    await store.set('d', record());
    expect(store.size).toBe(3);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('d')).toBeDefined();
  });

  it('evicts expired entries before live ones', async () => {
    const store = new MemoryStore({ maxEntries: 2 });
    await store.set('live', record());
    await store.set('dead', record(Date.now() - 1));
    await store.set('new', record());
    expect(await store.get('live')).toBeDefined();
    expect(await store.get('new')).toBeDefined();
  });

  it('a full store frees room from the least recently written entries, expired ones first', async () => {
    const store = new MemoryStore({ maxEntries: 100 });
    for (let i = 0; i < 40; i++) await store.set(`dead${i}`, record(Date.now() - 1));
    for (let i = 0; i < 60; i++) await store.set(`live${i}`, record());
    await store.set('new', record());
    // The 40 expired entries were at the front, within the bounded scan: they went, no live one did.
    expect(store.size).toBe(61);
    for (let i = 0; i < 60; i++) expect(await store.get(`live${i}`)).toBeDefined();
  });

  it('rejects a nonsensical maxEntries at construction', () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(/maxEntries must be a positive integer/);
  });
});

describe('MemoryStore byte budget (maxBytes)', () => {
  const sized = (bytes: number, expiresAt = Date.now() + 60_000) => ({ data: new Uint8Array(bytes), expiresAt });

  it('counts records and keys, and gives bytes back on delete, overwrite and the sweep of expired records', async () => {
    const store = new MemoryStore();
    await store.set('a', sized(100));
    await store.set('bb', sized(50));
    expect(store.bytes).toBe(153);
    await store.set('a', sized(10));
    expect(store.bytes).toBe(63);
    await store.delete('bb');
    expect(store.bytes).toBe(11);
    await store.set('dead', sized(40, Date.now() - 1));
    expect(await store.get('dead')).toBeUndefined();
    // An expired record is kept until swept (getExpired reads it, to tell why a session is gone).
    expect(store.bytes).toBe(55);
    expect(await store.deleteExpired()).toBe(1);
    expect(store.bytes).toBe(11);
  });

  it('never holds more than maxBytes, evicting the least recently written first', async () => {
    const store = new MemoryStore({ maxBytes: 10_000 });
    for (let i = 0; i < 9; i++) await store.set(`user${i}`, sized(1000));
    // Three big sessions arrive: the oldest users go, only as many as make room.
    for (let i = 0; i < 3; i++) await store.set(`big${i}`, sized(2000));
    expect(store.bytes).toBeLessThanOrEqual(10_000);
    for (let i = 0; i < 3; i++) expect(await store.get(`big${i}`)).toBeDefined();
    expect(await store.get('user0')).toBeUndefined();
    expect(await store.get('user8')).toBeDefined();
  });

  it('a session grown in place past the budget makes room like a new one', async () => {
    const store = new MemoryStore({ maxBytes: 3000, maxEntries: 1000 });
    await store.set('old', sized(1000));
    await store.set('grows', sized(100));
    await store.set('grows', sized(2500));
    expect(store.bytes).toBeLessThanOrEqual(3000);
    expect(await store.get('old')).toBeUndefined();
    expect((await store.get('grows'))?.data.length).toBe(2500);
  });

  it('refuses a single record larger than the whole budget, naming maxBytes, and keeps what it holds', async () => {
    const store = new MemoryStore({ maxBytes: 1000 });
    await store.set('a', sized(100));
    await expect(store.set('huge', sized(2000))).rejects.toThrow(/2004 bytes cannot fit in maxBytes \(1000\)/);
    expect(await store.get('a')).toBeDefined();
  });

  it('rejects a nonsensical maxBytes at construction', () => {
    for (const bad of [0, -5, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => new MemoryStore({ maxBytes: bad })).toThrow(/maxBytes must be a positive integer/);
    }
  });
});

describeSessionsOverHttp('memory', async () => ({ store: new MemoryStore() }));
describePlantedRecords('memory', async () => ({ store: new MemoryStore() }));

// With `encrypt`: the same store behind the wrapper that seals its records (src/encryption/).
const encryptedMemory = encryptedFixture(async () => ({ store: new MemoryStore() }));
describeStore('memory, encrypted', encryptedMemory, encryptedCapabilities(['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'getSync', 'createSync', 'setIfSync', 'keys', 'getExpired']));
describeSessionsOverHttp('memory, encrypted', encryptedMemory);
describePlantedRecords('memory, encrypted', encryptedMemory);
