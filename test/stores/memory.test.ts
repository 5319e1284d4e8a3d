import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/stores/memory.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';

describeStore('memory', async () => ({ store: new MemoryStore() }), ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'getSync', 'createSync', 'setIfSync', 'keys']);

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

describeSessionsOverHttp('memory', async () => ({ store: new MemoryStore() }));
