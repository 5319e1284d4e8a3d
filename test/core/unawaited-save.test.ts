import { describe, expect, it } from 'vitest';
import { SessionEngine } from '../../src/index.js';
import type { StoreRecord } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';

/** A real MemoryStore whose writes land only after a pause, as a file or network store's do. */
class SlowMemoryStore extends MemoryStore {
  override async delete(key: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return super.delete(key);
  }

  override async set(key: string, record: StoreRecord): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return super.set(key, record);
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
    const store = new SlowMemoryStore();
    const engine = new SessionEngine<Record<string, unknown>>({ store, logger: quiet });
    const session = await engine.load(undefined);
    session.user = 'bob';
    void session.save();
    const final = engine.commit(session);
    await final.persist();
    const stored = await store.get(`session:${session.id}`);
    expect(stored).toBeDefined();
    expect(session.isNew).toBe(false);
  });
});
