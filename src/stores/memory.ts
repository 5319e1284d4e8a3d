import { SessionConfigError } from '../core/errors.js';
import { StoreError } from '../core/store.js';
import { isExpired, sweepLimit, type RecordMemo, type Store, type StoreRecord, type SweepOptions } from '../core/store.js';

export interface MemoryStoreOptions {
  /**
   * Most sessions kept at once. When full, expired entries are swept first and then the
   * least recently written ones are evicted, so memory stays bounded under any load.
   * Default 10,000.
   */
  maxEntries?: number;
  /**
   * Most bytes of sessions kept at once (their serialized records and keys, not the heap
   * around them): a store full by this measure evicts as it does when full of entries, so a
   * few huge sessions cannot take the process's memory. Default 64 MiB (67108864).
   */
  maxBytes?: number;
  /**
   * Keep a session decoded beside its bytes once it was read twice since its last write, or
   * written by an update (kept as written), so that later reads neither decode it nor encode
   * it to find it unchanged (less work on every read of a small session, and no decode on
   * the read after each write: bench/RESULTS.md). Costs some 400 to 550 bytes of heap per such session
   * (bench/RESULTS.md); turn it off for a store of very many sessions where memory counts
   * more. Default true.
   */
  keepDecoded?: boolean;
}

/** Entries a full store checks for expired ones before it evicts a live one. */
const ROOM_SCAN = 64;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** A stored record; also the memo its reads offer the engine (see StoreRecord.memo). */
interface Entry extends RecordMemo {
  data: Uint8Array;
  expiresAt: number;
  version: number;
  /** The write (a version number) that last put the entry at the end of the order. */
  placed: number;
}

/**
 * Sessions in this process's memory: for tests, development and single-process apps.
 * Everything is lost on restart and nothing is shared between processes.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #keepDecoded: boolean;
  /** Bytes held: the sum of `sizeOf` over the entries. */
  #bytes = 0;
  // Map iteration order is insertion order; a write re-inserts (unless the entry was placed
  // recently, see #inPlaceWrites), so the first entries are the least recently written, to
  // within a quarter of maxEntries: the eviction order.
  readonly #entries = new Map<string, Entry>();
  #nextVersion = 1;
  /**
   * An entry placed at the end of the write order within this many writes is updated where
   * it is: a quarter of maxEntries, so that it is still among the newest quarter of the
   * order, which eviction reaches last (none in a store of fewer than 4 entries: the order
   * is exact there).
   */
  readonly #inPlaceWrites: number;
  /** Where eviction goes on from (see #makeRoom). */
  #cursor: MapIterator<[string, Entry]> | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new SessionConfigError(`MemoryStore: maxEntries must be a positive integer, got ${String(options.maxEntries)}`);
    }
    this.maxEntries = maxEntries;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new SessionConfigError(`MemoryStore: maxBytes must be a positive integer, got ${String(options.maxBytes)}`);
    }
    this.maxBytes = maxBytes;
    if (options.keepDecoded !== undefined && typeof options.keepDecoded !== 'boolean') {
      throw new SessionConfigError(`MemoryStore: keepDecoded must be true or false, got ${String(options.keepDecoded)}`);
    }
    this.#keepDecoded = options.keepDecoded ?? true;
    this.#inPlaceWrites = Math.floor(maxEntries / 4);
  }

  /** Number of entries held, expired ones included until they are swept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, as `maxBytes` counts them: records and keys, expired ones included until they are swept. */
  get bytes(): number {
    return this.#bytes;
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    return this.getSync(key);
  }

  getSync(key: string): StoreRecord | undefined {
    const entry = this.#live(key);
    if (!entry) return undefined;
    const version = String(entry.version);
    return this.#keepDecoded ? { data: entry.data, expiresAt: entry.expiresAt, version, memo: entry } : { data: entry.data, expiresAt: entry.expiresAt, version };
  }

  /** An expired record stays until a sweep, an eviction or a write of its key takes it: a read leaves it, for this. */
  async getExpired(key: string): Promise<StoreRecord | undefined> {
    const entry = this.#entries.get(key);
    return entry && isExpired(entry) ? { data: entry.data, expiresAt: entry.expiresAt, version: String(entry.version) } : undefined;
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    return this.#write(key, record);
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    return this.createSync(key, record);
  }

  createSync(key: string, record: StoreRecord): boolean {
    if (this.#live(key)) return false;
    this.#write(key, record);
    return true;
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    return this.setIfSync(key, record, expectedVersion);
  }

  setIfSync(key: string, record: StoreRecord, expectedVersion: string): boolean {
    const entry = this.#live(key);
    if (!entry || String(entry.version) !== expectedVersion) return false;
    this.#write(key, record);
    return true;
  }

  async *keys(prefix: string): AsyncIterable<string> {
    const now = Date.now();
    // A snapshot: the caller may write or delete between two keys.
    const listed = [...this.#entries].filter(([key, entry]) => key.startsWith(prefix) && !isExpired(entry, now)).map(([key]) => key);
    yield* listed;
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    const entry = this.#live(key);
    if (entry) entry.expiresAt = expiresAt;
  }

  async delete(key: string): Promise<void> {
    this.#remove(key);
  }

  async deleteExpired(options?: SweepOptions): Promise<number> {
    const limit = sweepLimit(this.name, options);
    const now = Date.now();
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (removed >= limit) break;
      if (isExpired(entry, now)) {
        this.#remove(key, entry);
        removed++;
      }
    }
    return removed;
  }

  async countExpired(): Promise<number> {
    const now = Date.now();
    let expired = 0;
    for (const entry of this.#entries.values()) if (isExpired(entry, now)) expired++;
    return expired;
  }

  /**
   * The live entry under `key`. An expired one is left where it is (`getExpired` tells why a
   * session is gone from it): the sweep, the eviction that makes room (expired entries first)
   * or the next write of its key removes it, so memory stays bounded all the same.
   */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    return entry && isExpired(entry) ? undefined : entry;
  }

  #write(key: string, record: StoreRecord): string {
    const size = sizeOf(key, record.data);
    if (size > this.maxBytes) {
      throw new StoreError(this.name, `a record of ${size} bytes cannot fit in maxBytes (${this.maxBytes}); raise maxBytes or keep less in the session.`);
    }
    const version = this.#nextVersion++;
    // Kept as given, not copied: the engine never changes bytes it handed over (see
    // StoreRecord), and a copy of a record over 64 bytes is an ArrayBuffer allocation of
    // its own on every write.
    const entry = this.#entries.get(key);
    if (entry !== undefined && version - entry.placed < this.#inPlaceWrites && this.#bytes - entry.data.length + record.data.length <= this.maxBytes) {
      // Placed recently enough to be far from eviction: updated where it is, which spares
      // the Map a delete and an insert (and a hole) on most writes of an active session.
      this.#bytes += record.data.length - entry.data.length;
      entry.data = record.data;
      entry.expiresAt = record.expiresAt;
      entry.version = version;
      entry.derived = this.#memoOf(record);
      return String(version);
    }
    if (entry !== undefined) this.#remove(key, entry);
    // Each round frees an entry at least, and an empty store has room for any record that passed the check above.
    while (this.#isFullFor(size)) this.#makeRoom(size);
    this.#entries.set(key, { data: record.data, expiresAt: record.expiresAt, version, placed: version, derived: this.#memoOf(record) });
    this.#bytes += size;
    return String(version);
  }

  /** What a write brings for the new record's memo (see StoreRecord.memo); nothing when reads offer no memo. */
  #memoOf(record: StoreRecord): unknown {
    return this.#keepDecoded ? record.memo?.derived : undefined;
  }

  /** Removes the entry under `key`, if any, and its bytes from the count. */
  #remove(key: string, entry = this.#entries.get(key)): void {
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= sizeOf(key, entry.data);
  }

  /** Whether a new entry of `size` bytes needs room made first: by count or by bytes. */
  #isFullFor(size: number): boolean {
    return this.#entries.size >= this.maxEntries || this.#bytes + size > this.maxBytes;
  }

  /**
   * Frees one entry at least (asked only of a store that holds some). Entries are in the order they were last written, so the
   * expired ones are mostly at the front: the next ROOM_SCAN entries from the eviction
   * cursor are checked and the expired among them go; if that freed nothing, the oldest
   * of them goes. Bounded, so a full store does not scan every entry on each new session.
   *
   * The cursor is one live iterator kept across calls: a Map leaves a hole for every
   * deleted entry until it next compacts, and a fresh iterator from the front steps over
   * every hole the evictions before it left (at a million entries, 2.9 ms per new session;
   * `bench/store-size.mjs`, memory phase). It goes round again when it reaches the end,
   * so eviction follows the write order approximately: within a window of ROOM_SCAN.
   */
  #makeRoom(size: number): void {
    const now = Date.now();
    let oldestLive: string | undefined;
    for (let scanned = 0; scanned < ROOM_SCAN; scanned++) {
      const next = this.#nextFromCursor(scanned === 0);
      if (!next) break;
      const [key, entry] = next;
      if (isExpired(entry, now)) this.#remove(key, entry);
      else oldestLive ??= key;
    }
    if (this.#isFullFor(size) && oldestLive !== undefined) this.#remove(oldestLive);
  }

  /** The next entry in write order from the eviction cursor; at its end, from the front again if `restart`. */
  #nextFromCursor(restart: boolean): [string, Entry] | undefined {
    this.#cursor ??= this.#entries.entries();
    const next = this.#cursor.next();
    if (!next.done) return next.value;
    this.#cursor = undefined;
    return restart ? this.#nextFromCursor(false) : undefined;
  }
}

/** What an entry counts towards maxBytes: its record and its key (UTF-16 code units, a close enough measure of a key). */
function sizeOf(key: string, data: Uint8Array): number {
  return key.length + data.length;
}

export function memoryStore(options?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(options);
}
