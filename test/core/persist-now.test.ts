import { describe, expect, it } from 'vitest';
import { persistCommit } from '../../src/core/commit.js';
import { SessionEngine } from '../../src/index.js';
import { StoreError, type Store, type StoreRecord } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';

const quiet = { warn: () => {}, info: () => {} };
const cookieOf = (setCookies: readonly string[]) => setCookies[0]!.split(';')[0]!;

/** A session with `count` = 1 in `store`, and the cookie that names it. */
async function started(engine: SessionEngine<Record<string, unknown>>) {
  const session = await engine.load(undefined);
  session.count = 1;
  const pending = engine.commit(session);
  const writing = persistCommit(pending);
  return { id: session.id, cookie: cookieOf(pending.setCookies), writing };
}

/** The memory store without its synchronous writes: what a store over a network offers. */
function asyncOnly(store: MemoryStore): Store {
  return {
    name: 'async-memory',
    get: (key) => store.get(key),
    getSync: (key) => store.getSync(key),
    set: (key, record) => store.set(key, record),
    create: (key, record) => store.create(key, record),
    setIf: (key, record, version) => store.setIf(key, record, version),
    delete: (key) => store.delete(key),
  };
}

describe('a commit on a store that writes synchronously is persisted without a promise', () => {
  it('creates and updates are written at once: persistCommit answers undefined and the store holds the data', async () => {
    const store = new MemoryStore();
    const engine = new SessionEngine<Record<string, unknown>>({ store, logger: quiet });
    const { id, cookie, writing } = await started(engine);
    expect(writing).toBeUndefined();
    expect(store.getSync(`session:${id}`)).toBeDefined();

    const session = engine.loadSync(cookie);
    session.count = 2;
    const pending = engine.commit(session);
    expect(pending.needsPersist).toBe(true);
    expect(persistCommit(pending)).toBeUndefined();
    expect(engine.loadSync(cookie).count).toBe(2);
    expect(session.isNew).toBe(false);
  });

  it('an update that lost its compare-and-set goes on as a promise and merges', async () => {
    const store = new MemoryStore();
    const engine = new SessionEngine<Record<string, unknown>>({ store, logger: quiet });
    const { cookie } = await started(engine);
    const first = engine.loadSync(cookie);
    const second = engine.loadSync(cookie);
    first.cart = ['apple'];
    second.count = 5;
    expect(persistCommit(engine.commit(first))).toBeUndefined();
    const merging = persistCommit(engine.commit(second));
    expect(merging).toBeInstanceOf(Promise);
    await merging;
    const read = engine.loadSync(cookie);
    expect(read.cart).toEqual(['apple']);
    expect(read.count).toBe(5);
  });

  it('a second write in one request has no version to compare with: it goes through the merge, which never brings back a destroyed record', async () => {
    const store = new MemoryStore();
    const engine = new SessionEngine<Record<string, unknown>>({ store, logger: quiet });
    const { id, cookie } = await started(engine);
    const session = engine.loadSync(cookie);
    session.count = 2;
    expect(persistCommit(engine.commit(session))).toBeUndefined();
    await store.delete(`session:${id}`); // destroyed by another request meanwhile
    session.count = 3;
    const again = persistCommit(engine.commit(session));
    expect(again).toBeInstanceOf(Promise);
    await again;
    expect(store.getSync(`session:${id}`)).toBeUndefined();
  });

  it('a store that throws gives a rejected promise with its StoreError, never a throw', async () => {
    class FailingStore extends MemoryStore {
      override setIfSync(): boolean {
        throw new StoreError('failing', 'the disk is full');
      }
    }
    const store = new FailingStore();
    const engine = new SessionEngine<Record<string, unknown>>({ store, logger: quiet });
    const { cookie } = await started(engine);
    const session = engine.loadSync(cookie);
    session.count = 2;
    const pending = engine.commit(session);
    let result: Promise<void> | undefined;
    expect(() => {
      result = persistCommit(pending);
    }).not.toThrow();
    await expect(result).rejects.toThrow(/\[sessionkit:failing\] the disk is full/);
  });

  it('a store without createSync and setIfSync is written through promises, with the same outcome', async () => {
    const memory = new MemoryStore();
    const engine = new SessionEngine<Record<string, unknown>>({ store: asyncOnly(memory), logger: quiet });
    const { id, writing } = await started(engine);
    expect(writing).toBeInstanceOf(Promise);
    await writing;
    expect(memory.getSync(`session:${id}`)).toBeDefined();
  });

  it('the bytes a store was given are kept as they are: a later commit neither changes them nor shares its reusable buffer', async () => {
    const written: StoreRecord[] = [];
    class RecordingStore extends MemoryStore {
      override setIfSync(key: string, record: StoreRecord, version: string): boolean {
        written.push(record);
        return super.setIfSync(key, record, version);
      }
    }
    const engine = new SessionEngine<Record<string, unknown>>({ store: new RecordingStore(), logger: quiet });
    const { cookie } = await started(engine);
    for (const count of [2, 3]) {
      const session = engine.loadSync(cookie);
      session.count = count;
      expect(persistCommit(engine.commit(session))).toBeUndefined();
    }
    const [first, second] = written.map((record) => [...record.data]);
    expect(first).not.toEqual(second);
    expect([...written[0]!.data]).toEqual(first);
    expect(written[0]!.data.buffer).not.toBe(written[1]!.data.buffer);
  });
});
