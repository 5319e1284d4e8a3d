/**
 * The test Worker of the Durable Object store: the object class as an application exports
 * it, a subclass that sweeps five seconds after a write, for the alarm test, and one
 * bound without SQLite storage. Its fetch runs the store itself inside workerd, as an
 * application's Worker would: one key through every operation, or (/keys) a listing of
 * many keys, the results as JSON.
 */
import { durableObjectStore, SessionDurableObject, type DurableObjectNamespaceLike } from '../../src/stores/durable-object/index.js';

export { SessionDurableObject };

export class QuickSweepObject extends SessionDurableObject {
  // Room to see the expired row before the alarm removes it: on a machine at load 17, calls
  // through miniflare's proxy took seconds, and a 2 s window was missed.
  override readonly sweepIntervalMs = 5000;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => (data ? new TextDecoder().decode(data) : null);

export default {
  async fetch(request: Request, env: { SESSIONS: DurableObjectNamespaceLike }): Promise<Response> {
    const url = new URL(request.url);
    const store = durableObjectStore({ namespace: env.SESSIONS, name: url.searchParams.get('name') ?? 'worker', shards: 2 });
    return url.pathname === '/keys' ? listing(store, Number(url.searchParams.get('count'))) : everyOperation(store);
  },
};

type Store = ReturnType<typeof durableObjectStore>;

/** Writes `count` keys under a prefix and one outside it, then lists the prefix: what was written, what was listed. */
async function listing(store: Store, count: number): Promise<Response> {
  const written = Array.from({ length: count }, (_, i) => `session:listed-${i}`);
  const expiresAt = Date.now() + 60_000;
  for (let i = 0; i < written.length; i += 100) await Promise.all(written.slice(i, i + 100).map((key) => store.set(key, { data: bytes('l'), expiresAt })));
  await store.set('session:other', { data: bytes('o'), expiresAt });
  const listed: string[] = [];
  for await (const key of store.keys('session:listed-')) listed.push(key);
  return Response.json({ written: written.sort(), listed: listed.sort() });
}

/** One key through every operation, from inside workerd. */
async function everyOperation(store: Store): Promise<Response> {
  const expiresAt = Date.now() + 60_000;
  const created = await store.create('k', { data: bytes('one'), expiresAt });
  const first = await store.get('k');
  const swapped = await store.setIf('k', { data: bytes('two'), expiresAt }, first?.version ?? '');
  const stale = await store.setIf('k', { data: bytes('three'), expiresAt }, first?.version ?? '');
  const second = text((await store.get('k'))?.data);
  await store.delete('k');
  return Response.json({ created, first: text(first?.data), swapped, stale, second, afterDelete: (await store.get('k')) ?? null });
}

/** Bound without SQLite storage (key-value storage): the store must say what to declare. */
export class KeyValueStorageObject extends SessionDurableObject {}
