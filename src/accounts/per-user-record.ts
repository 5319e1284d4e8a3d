import { primitives } from '#crypto';
import { delay } from '../core/delay.js';
import { StoreError, type Store, type StoreRecord } from '../core/store.js';

/**
 * The store key of a record about one user: a hash, so that no user id reaches a key
 * (its length, its characters, or the user's privacy).
 */
export function perUserKey(keyOf: (name: string) => string, kind: string, userId: string): string {
  return keyOf(`${kind}.${primitives.toBase64url(primitives.sha256(userId))}`);
}

/**
 * Read, change, compare-and-set; again on a lost race, with growing random pauses. `change`
 * returns the record to write, or undefined to write nothing (it may read the store first:
 * a promise). A record that is absent is created with insert-if-absent, so that two first
 * writers cannot both win.
 */
export async function updateRecord(
  store: Store,
  key: string,
  maxRetries: number,
  change: (current: StoreRecord | undefined, now: number) => StoreRecord | undefined | Promise<StoreRecord | undefined>,
): Promise<void> {
  if (!store.create || !store.setIf) {
    throw new StoreError(store.name, 'this needs a store with create and setIf (compare-and-set); every built-in store but null has them.');
  }
  for (let attempt = 0; attempt < maxRetries; attempt++) {
    if (attempt > 0) await delay(Math.random() * Math.min(200, 2 ** attempt));
    const now = Date.now();
    const current = await store.get(key);
    const next = await change(current, now);
    if (!next) return;
    const written = current?.version === undefined ? await store.create(key, next) : await store.setIf(key, next, current.version);
    if (written) return;
  }
  throw new StoreError(store.name, `a per-user record changed under ${maxRetries} concurrent writes; try again.`);
}

