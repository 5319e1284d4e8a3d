import type { CarriedRecord } from '../core/carrier.js';
import { hashedId } from '../core/hashed-id.js';
import { isExpired, type Store } from '../core/store.js';
import type { IdCodec } from './cookie/ids.js';
import type { Logger } from '../core/logger.js';
import type { HashIdsSettings } from './options.js';
import { StoreCarrier, type StoreCarrierOptions } from './store-carrier.js';

/**
 * `hashIds`: records are kept under keyPrefix + the hash of the id (core/hashed-id.ts), so
 * nothing the store holds can be sent back as a cookie. The hash is computed once per id:
 * `sessionKey` remembers the key, as it does for raw ids.
 */
export class HashedIdCarrier extends StoreCarrier {
  override storedName(id: string): string {
    return this.sessionKey(id).slice(this.keyPrefix.length);
  }

  protected override nameOf(id: string): string {
    return hashedId(id);
  }
}

/**
 * `hashIds` in a live deployment: a cookie whose hashed key misses is looked up once under
 * its raw key (keyPrefix + id, where the session was written before `hashIds`), and a record
 * found there is moved: created under the hashed key, then deleted under the raw one, so its
 * user stays logged in. Costs two more reads on each miss (an unknown or expired cookie),
 * none on a hit; `hashIds: { readRawKeys: false }` turns it off once the old records are gone.
 */
export class MigratingHashedIdCarrier extends HashedIdCarrier {
  // A synchronous move also needs a synchronous insert-if-absent (the in-process stores have it).
  override readonly opensSync: boolean;
  readonly #logger: Logger;

  constructor(store: Store, ids: IdCodec, options: StoreCarrierOptions) {
    super(store, ids, options);
    this.opensSync = typeof store.getSync === 'function' && typeof store.createSync === 'function' && ids.synchronous;
    this.#logger = options.logger;
  }

  override async open(cookieValue: string): Promise<CarriedRecord | undefined> {
    const id = await this.idOf(cookieValue);
    if (id === undefined) return undefined;
    const key = this.sessionKey(id);
    const record = await this.store.get(key);
    return record ? { id, record } : this.#moveFromRawKey(id, key);
  }

  override openSync(cookieValue: string): CarriedRecord | undefined {
    const id = this.idOf(cookieValue) as string | undefined;
    if (id === undefined) return undefined;
    const key = this.sessionKey(id);
    const record = this.store.getSync!(key);
    return record ? { id, record } : this.#moveFromRawKeySync(id, key);
  }

  /**
   * `#moveFromRawKey` on a store that reads and creates synchronously. No store deletes
   * synchronously: the raw key's delete is left running (an in-process store's delete is
   * done before its promise settles); should it fail, the raw record is never read again
   * (the hashed one answers first) and expires by itself.
   */
  #moveFromRawKeySync(id: string, key: string): CarriedRecord | undefined {
    const store = this.store;
    const rawKey = this.key(id);
    const raw = store.getSync!(rawKey);
    let moved = false;
    if (raw && !isExpired(raw)) {
      moved = store.createSync!(key, { data: raw.data, expiresAt: raw.expiresAt });
      store.delete(rawKey).catch((error: unknown) => {
        this.#logger.warn(`could not delete a session record moved to its hashed key (hashIds): ${String(error)}; it expires by itself.`);
      });
    }
    const record = store.getSync!(key);
    if (!record) return undefined;
    return moved ? { id, record, moved } : { id, record };
  }

  /**
   * The session `id` after a miss under its hashed `key`: its record under the raw key,
   * moved. Created before the raw one is deleted, so that a request racing this one finds
   * it under one key or the other, and the second of two movers' `create` loses (it then
   * reads the first one's). A store without `create` rewrites the same bytes instead, where
   * a write of the first mover in between can be lost (such stores are last writer wins).
   */
  async #moveFromRawKey(id: string, key: string): Promise<CarriedRecord | undefined> {
    const store = this.store;
    const rawKey = this.key(id);
    const raw = await store.get(rawKey);
    let moved = false;
    if (raw && !isExpired(raw)) {
      moved = await createOrSet(store, key, { data: raw.data, expiresAt: raw.expiresAt });
      await store.delete(rawKey);
    }
    // Read again: the record moved here, or by a request that moved it between our two reads.
    const record = await store.get(key);
    if (!record) return undefined;
    // Its user index entry names the raw key: the session's next commit writes a new one (accounts/user-sessions.ts).
    return moved ? { id, record, moved } : { id, record };
  }
}

async function createOrSet(store: Store, key: string, record: { data: Uint8Array; expiresAt: number }): Promise<boolean> {
  if (store.create) return store.create(key, record);
  await store.set(key, record);
  return true;
}

/** The carrier of `hashIds`: with or without the raw-key fallback. */
export function hashedIdCarrier(store: Store, ids: IdCodec, options: StoreCarrierOptions, settings: HashIdsSettings): StoreCarrier {
  return settings.readRawKeys ? new MigratingHashedIdCarrier(store, ids, options) : new HashedIdCarrier(store, ids, options);
}
