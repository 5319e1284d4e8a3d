import { describe, expect, it } from 'vitest';
import { cleanupSessions, SessionConfigError, type Store } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory.js';

const record = (expiresAt: number) => ({ data: new Uint8Array([1]), expiresAt });

async function storeWith(expired: number, live: number): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (let i = 0; i < expired; i++) await store.set(`session:old-${i}`, record(Date.now() - 1000));
  for (let i = 0; i < live; i++) await store.set(`session:new-${i}`, record(Date.now() + 60_000));
  return store;
}

describe('cleanupSessions', () => {
  it('removes expired sessions in batches of batchSize until one removes fewer, and reports each batch', async () => {
    const store = await storeWith(10, 4);
    const progress: number[] = [];
    const summary = await cleanupSessions(store, { batchSize: 4, onProgress: ({ removed }) => progress.push(removed) });
    expect(summary).toMatchObject({ store: 'memory', dryRun: false, removed: 10, batches: 3, expired: undefined, stopped: undefined, leftovers: {} });
    expect(progress).toEqual([4, 8, 10]);
    expect(store.size).toBe(4);
  });

  it('lets the application run between batches, even on a store that answers without I/O', async () => {
    const store = await storeWith(10, 0);
    const seen: number[] = [];
    let latest = 0;
    // What a request arriving during the sweep would be: work queued on the event loop.
    const request = () => {
      seen.push(latest);
      if (seen.length < 3) setImmediate(request);
    };
    setImmediate(request);
    await cleanupSessions(store, { batchSize: 2, onProgress: ({ removed }) => (latest = removed) });
    expect(seen.length).toBe(3);
    expect(seen[0]).toBeLessThan(10);
  });

  it('a batch that removes exactly batchSize is followed by one more that finds none', async () => {
    const store = await storeWith(6, 0);
    expect(await cleanupSessions(store, { batchSize: 3 })).toMatchObject({ removed: 6, batches: 3 });
  });

  it('a dry run counts and removes nothing', async () => {
    const store = await storeWith(5, 2);
    expect(await cleanupSessions(store, { dryRun: true, batchSize: 2 })).toMatchObject({ dryRun: true, expired: 5, removed: 0, batches: 0 });
    expect(store.size).toBe(7);
  });

  it('stops at maxBatches, and between batches when the signal is aborted', async () => {
    const store = await storeWith(9, 0);
    expect(await cleanupSessions(store, { batchSize: 2, maxBatches: 2 })).toMatchObject({ removed: 4, batches: 2, stopped: 'maxBatches' });
    const controller = new AbortController();
    const summary = await cleanupSessions(store, { batchSize: 2, signal: controller.signal, onProgress: () => controller.abort() });
    expect(summary).toMatchObject({ removed: 2, batches: 1, stopped: 'signal' });
    expect(await store.countExpired()).toBe(3);
  });

  it('says so when the store cannot count, and refuses a store that cannot remove expired sessions', async () => {
    const uncountable: Store = { name: 'natively-expiring', get: async () => undefined, set: async () => undefined, delete: async () => {}, deleteExpired: async () => 0 };
    const dry = await cleanupSessions(uncountable, { dryRun: true });
    expect(dry.expired).toBeUndefined();
    expect(dry.note).toBe('the natively-expiring store cannot count expired sessions without removing them; nothing was counted.');
    const plain: Store = { ...uncountable, deleteExpired: undefined };
    await expect(cleanupSessions(plain)).rejects.toThrow(SessionConfigError);
    await expect(cleanupSessions(uncountable, { batchSize: 0 })).rejects.toThrow('batchSize must be a positive integer, got 0');
  });

  it('rejects with the store’s error when a batch fails', async () => {
    const store = await storeWith(3, 0);
    let calls = 0;
    const failing: Store = Object.assign(Object.create(store) as Store, {
      deleteExpired: async (options?: { limit?: number }) => {
        if (++calls === 2) throw new Error('disk on fire');
        return store.deleteExpired(options);
      },
    });
    await expect(cleanupSessions(failing, { batchSize: 1 })).rejects.toThrow('disk on fire');
    expect(await store.countExpired()).toBe(2);
  });
});
