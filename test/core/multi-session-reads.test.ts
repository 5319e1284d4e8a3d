import { describe, expect, it } from 'vitest';
import { loadSession } from '../../src/adapters/shared/load.js';
import { multiSession } from '../../src/compose/multi-session.js';
import type { StoreRecord } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CountingStore } from '../helpers/counting-store.js';

const quiet = { warn: () => {}, info: () => {} };

/** A real MemoryStore that counts its reads (its async `get` reads through `getSync`). */
class CountingSyncStore extends MemoryStore {
  reads = 0;

  override getSync(key: string): StoreRecord | undefined {
    this.reads++;
    return super.getSync(key);
  }
}

/** One request's worth of work: load through the adapters' one load path, change both fields, commit. */
async function request(manager: ReturnType<typeof multiSession>, cookieHeader: string | undefined): Promise<string> {
  const loaded = loadSession(manager, cookieHeader);
  const session = (loaded instanceof Promise ? await loaded : loaded) as Record<string, unknown>;
  session.a = ((session.a as number | undefined) ?? 0) + 1;
  session.b = ((session.b as number | undefined) ?? 0) + 1;
  const pending = manager.commit(session as never);
  await pending.persist();
  return pending.setCookies.map((cookie) => cookie.split(';')[0]).join('; ') || cookieHeader!;
}

describe('multiSession reads each store at most once per request', () => {
  it('a synchronous entry before an asynchronous one: one read each, and the composite loads asynchronously', async () => {
    const sync = new CountingSyncStore();
    const async = new CountingStore();
    const manager = multiSession({
      logger: quiet,
      sessions: [
        { cookie: { name: 's1' }, store: sync, fields: ['a'] },
        { cookie: { name: 's2' }, store: async, fields: ['b'] },
      ],
    });
    expect(manager.canLoadSync).toBe(false);
    const cookies = await request(manager, undefined);
    sync.reads = 0;
    async.reset();
    await request(manager, cookies);
    expect(sync.reads).toBe(1);
    expect(async.calls.get).toBe(1);
  });

  it('entries that all read synchronously: the composite loads synchronously, one read each', async () => {
    const first = new CountingSyncStore();
    const second = new CountingSyncStore();
    const manager = multiSession({
      logger: quiet,
      sessions: [
        { cookie: { name: 's1' }, store: first, fields: ['a'] },
        { cookie: { name: 's2' }, store: second, fields: 'auto' },
      ],
    });
    expect(manager.canLoadSync).toBe(true);
    const cookies = await request(manager, undefined);
    first.reads = 0;
    second.reads = 0;
    const loaded = loadSession(manager, cookies);
    expect(loaded).not.toBeInstanceOf(Promise);
    const session = loaded as unknown as Record<string, unknown>;
    expect([session.a, session.b]).toEqual([1, 1]);
    expect([first.reads, second.reads]).toEqual([1, 1]);
  });
});
