import { describe, expect, it } from 'vitest';
import { SessionEngine } from '../../src/index.js';
import type { StoreRecord } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CountingStore } from '../helpers/counting-store.js';

const pause = () => new Promise((resolve) => setTimeout(resolve, 50));

/**
 * A real MemoryStore whose asynchronous writes land only after a pause, as a file or
 * network store's do (its synchronous ones are as fast as ever: wrap it in a CountingStore
 * to hide them from the engine).
 */
class SlowMemoryStore extends MemoryStore {
  override async delete(key: string): Promise<void> {
    await pause();
    return super.delete(key);
  }

  override async set(key: string, record: StoreRecord): Promise<string> {
    await pause();
    return super.set(key, record);
  }

  override async create(key: string, record: StoreRecord): Promise<boolean> {
    await pause();
    return super.create(key, record);
  }

  override async setIf(key: string, record: StoreRecord, version: string): Promise<boolean> {
    await pause();
    return super.setIf(key, record, version);
  }
}

const quiet = { warn: () => {}, info: () => {} };

describe('a save() or destroy() nobody awaited', () => {
  it('destroy(): the request\'s own commit waits for the delete, so the next request cannot read the record', async () => {
    const store = new SlowMemoryStore();
    const engine = new SessionEngine<Record<string, unknown>>({ store, logger: quiet });
    const first = await engine.load(undefined);
    first.user = 'alice';
    const created = engine.commit(first);
    await created.persist();
    const cookie = created.setCookies[0]!.split(';')[0]!;

    const session = await engine.load(cookie);
    void session.destroy();
    const final = engine.commit(session);
    expect(final.needsPersist).toBe(true);
    await final.persist();
    expect(await store.get(`session:${first.id}`)).toBeUndefined();
    expect((await engine.load(cookie)).user).toBeUndefined();
  });

  it('save(): the final commit waits for it and writes nothing twice', async () => {
    const store = new CountingStore(new SlowMemoryStore());
    const engine = new SessionEngine<Record<string, unknown>>({ store, logger: quiet });
    const session = await engine.load(undefined);
    session.user = 'bob';
    void session.save();
    const final = engine.commit(session);
    await final.persist();
    // The save's insert is the one write: the final commit found the session saved as it is.
    expect(store.calls).toMatchObject({ create: 1, set: 0, setIf: 0, touch: 0, delete: 0 });
    expect(store.writes).toBe(1);
    const stored = await store.inner.get(`session:${session.id}`);
    expect(stored).toBeDefined();
    expect(session.isNew).toBe(false);
  });
});
