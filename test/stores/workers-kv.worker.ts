/**
 * The test Worker of the Workers KV store: its fetch runs the store inside workerd, as an
 * application's Worker would (set, get, overwrite, delete of one key), the results as JSON.
 */
import { workersKvStore, type KVNamespaceLike } from '../../src/stores/workers-kv.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => (data ? new TextDecoder().decode(data) : null);

export default {
  async fetch(request: Request, env: { SESSIONS: KVNamespaceLike }): Promise<Response> {
    const store = workersKvStore({ namespace: env.SESSIONS });
    const key = new URL(request.url).searchParams.get('key') ?? 'k';
    const expiresAt = Date.now() + 120_000;
    await store.set(key, { data: bytes('one'), expiresAt });
    const first = await store.get(key);
    await store.set(key, { data: bytes('two'), expiresAt });
    const second = text((await store.get(key))?.data);
    await store.delete(key);
    return Response.json({ first: text(first?.data), expiresAt: first?.expiresAt === expiresAt, second, afterDelete: (await store.get(key)) ?? null });
  },
};
