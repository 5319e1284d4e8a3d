/**
 * A cache in front of a durable store, itself a store: `cachingStore({ cache, store })`.
 *
 * Round trips: an unmodified request's read is one cache read. A write (set, create,
 * setIf, touch, delete) goes to the durable store, then marks the cache entry stale (one
 * cache write); the next read of the key goes to the durable store and fills the cache (a
 * cache read, a durable read, a cache write). A key the durable store does not have is
 * cached as absent for `missTtl`.
 *
 * Consistency, and why each step is what it is:
 * - The durable store's records and versions are the truth. A cached record keeps the
 *   durable version it was read with, so a compare-and-set from a stale cached read loses in
 *   the durable store, and the write that lost marks the entry stale: the engine's merge
 *   then reads the durable record, not the stale copy again.
 * - A write marks the entry stale rather than caching what it wrote: the durable store's
 *   `create` and `setIf` do not say the new version, and a record cached without it could
 *   not be compare-and-set. The marker is written unconditionally, after the durable write.
 * - A fill is conditional in the cache: `create` where the read found nothing, `setIf`
 *   against the cache version of the marker it found. A reader that read the durable store
 *   before a write cannot put the old record back over that write's marker, in any order
 *   of the two (only a reader stalled for longer than `ttl`, the marker's life, could).
 * - A cache entry never outlives its record: it expires at the record's expiry or `ttl`
 *   from its fill, whichever comes first.
 * - Several processes share the durable store safely over one shared cache (Redis). Over a
 *   cache of each process's own (memory), one process's writes are not seen by the others'
 *   caches until their entries expire: at most `ttl` for a record, `missTtl` for an absent key.
 *
 * Capabilities are those both parts allow: create, setIf, touch, deleteExpired,
 * countExpired, getExpired and keys where the durable store has them (the last four are the
 * durable store's own); getSync where both read synchronously and the cache also writes so; no
 * createSync/setIfSync, as the marker is written through a promise.
 */
import { consoleLogger, type Logger } from '../../core/logger.js';
import { isExpired, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { keyForMessages } from '../../core/key-name.js';
import { ABSENT_ENTRY, STALE_ENTRY, readEntry, recordEntry } from './entry.js';
import { cachingSettings, type CachingSettings, type CachingStoreOptions } from './options.js';

export type { CachingStoreOptions } from './options.js';

/**
 * What a cache read found: the answer (a record, or absent), or a miss, to be read from the
 * durable store and filled in over the cache version `over` (undefined: over nothing) where
 * `fill`.
 */
type Lookup = { readonly hit: true; readonly record: StoreRecord | undefined } | { readonly hit: false; readonly over: string | undefined; readonly fill: boolean };

const MISS: Lookup = { hit: false, over: undefined, fill: true };
const ABSENT: Lookup = { hit: true, record: undefined };

export class CachingStore implements Store {
  readonly name: string;
  // Declared, not defined: a capability the parts do not allow is no property at all.
  declare readonly getSync?: (key: string) => StoreRecord | undefined;
  declare readonly create?: (key: string, record: StoreRecord) => Promise<boolean>;
  declare readonly setIf?: (key: string, record: StoreRecord, expectedVersion: string) => Promise<boolean>;
  declare readonly touch?: (key: string, expiresAt: number) => Promise<void>;
  declare readonly deleteExpired?: (options?: SweepOptions) => Promise<number>;
  declare readonly countExpired?: (options?: Pick<SweepOptions, 'onLeftovers'>) => Promise<number>;
  declare readonly getExpired?: (key: string) => Promise<StoreRecord | undefined>;
  declare readonly keys?: (prefix: string) => AsyncIterable<string>;
  readonly #cache: Store;
  readonly #durable: Store;
  readonly #settings: CachingSettings;
  readonly #logger: Pick<Logger, 'warn'>;

  constructor(options: CachingStoreOptions) {
    this.#settings = cachingSettings(options);
    const { cache, store } = options;
    this.#cache = cache;
    this.#durable = store;
    this.#logger = options.logger ?? consoleLogger;
    this.name = `caching:${cache.name}/${store.name}`;
    if (store.create) this.create = (key, record) => this.#through(key, () => store.create!(key, record));
    if (store.setIf) this.setIf = (key, record, version) => this.#through(key, () => store.setIf!(key, record, version));
    if (store.touch) this.touch = (key, expiresAt) => this.#through(key, () => store.touch!(key, expiresAt));
    // Expired cache entries go by themselves (their own expiry): sweeping is the durable store's.
    if (store.deleteExpired) this.deleteExpired = (sweep) => store.deleteExpired!(sweep);
    if (store.countExpired) this.countExpired = (sweep) => store.countExpired!(sweep);
    // The durable store's: the cache holds no expired records worth asking.
    if (store.getExpired) this.getExpired = (key) => store.getExpired!(key);
    if (store.keys) this.keys = (prefix) => store.keys!(prefix);
    if (store.getSync && cache.getSync && cache.createSync && cache.setIfSync) this.getSync = (key) => this.#getSync(key);
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const lookup = this.#lookup(key, await this.#cache.get(key));
    if (lookup.hit) return lookup.record;
    const found = await this.#durable.get(key);
    const entry = lookup.fill ? this.#entryFor(found) : undefined;
    if (entry) await (lookup.over === undefined ? this.#cache.create!(key, entry) : this.#cache.setIf!(key, entry, lookup.over));
    return found;
  }

  #getSync(key: string): StoreRecord | undefined {
    const cache = this.#cache;
    const lookup = this.#lookup(key, cache.getSync!(key));
    if (lookup.hit) return lookup.record;
    const found = this.#durable.getSync!(key);
    const entry = lookup.fill ? this.#entryFor(found) : undefined;
    if (entry) {
      if (lookup.over === undefined) cache.createSync!(key, entry);
      else cache.setIfSync!(key, entry, lookup.over);
    }
    return found;
  }

  set(key: string, record: StoreRecord): Promise<string | undefined> {
    return this.#through(key, () => this.#durable.set(key, record));
  }

  delete(key: string): Promise<void> {
    return this.#through(key, () => this.#durable.delete(key));
  }

  /** Closes both stores: the caching store was handed them (each still leaves a client it was given open). */
  async close(): Promise<void> {
    await Promise.all([this.#cache.close?.(), this.#durable.close?.()]);
  }

  /** What the cache's `cached` entry answers for `key`. */
  #lookup(key: string, cached: StoreRecord | undefined): Lookup {
    if (cached === undefined) return MISS;
    const entry = readEntry(cached.data);
    if (entry === undefined) {
      this.#logger.warn(
        `${this.name} store: the cache holds under ${keyForMessages(key)} a value that is not a cache entry; the durable store is read instead and the value left alone. ` +
          "Does another store keep its records where the cache keeps its entries? Give the cache a keyspace of its own (another Redis database, say).",
      );
      return { hit: false, over: undefined, fill: false };
    }
    if (entry.kind === 'absent') return ABSENT;
    if (entry.kind === 'stale' || isExpired(entry)) return { hit: false, over: cached.version, fill: true };
    const record = { data: entry.data, expiresAt: entry.expiresAt, version: entry.version };
    // The cache's memo: its entry holds exactly these bytes, and any write of the entry replaces it (StoreRecord.memo).
    return { hit: true, record: cached.memo ? { ...record, memo: cached.memo } : record };
  }

  /** The cache entry for what the durable store read: the record until its expiry or `ttl`, or absent for `missTtl`. */
  #entryFor(found: StoreRecord | undefined): StoreRecord | undefined {
    const now = Date.now();
    const { ttlMs, missTtlMs } = this.#settings;
    if (found === undefined) return missTtlMs > 0 ? { data: ABSENT_ENTRY, expiresAt: now + missTtlMs } : undefined;
    const data = recordEntry(found.data, found.expiresAt, found.version);
    return data && { data, expiresAt: Math.min(found.expiresAt, now + ttlMs) };
  }

  /**
   * Runs a write of the durable store, then marks the cache entry stale, whatever the write
   * did: a write that failed or lost its compare-and-set may mean the cache is behind.
   */
  async #through<T>(key: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      await this.#cache.set(key, { data: STALE_ENTRY, expiresAt: Date.now() + this.#settings.ttlMs });
    }
  }
}

export function cachingStore(options: CachingStoreOptions): CachingStore {
  return new CachingStore(options);
}
