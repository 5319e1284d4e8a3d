/**
 * Sessions in Deno KV: `Deno.openKv()` in Deno and on Deno Deploy, or `@deno/kv`'s
 * `openKv()` in Node, over the same SQLite file or KV Connect URL.
 *
 * Database: yours (`kv`), typed structurally (./kv.ts), borrowed: never closed. Every
 * session lives under `[...prefix, key]` (default prefix ['sessions']) as one value in our
 * layout (./value.ts); a value there without it (another application's) reads as no
 * session, with one warning per read, and is never replaced by `create`.
 *
 * Consistency: reads are strongly consistent (the default), and writes are ordered by
 * versionstamp, so compare-and-set is real: `create` is an atomic operation checking that
 * the key holds nothing (`versionstamp: null`), or, for an expired session of ours, the
 * versionstamp it was read with; `setIf` checks the versionstamp of the version (./version.ts).
 *
 * Expiry: every write sets KV's `expireIn`, which deletes the entry only eventually, and
 * every read compares the expiry in the value with the clock, so an expired session never
 * reads as live. deleteExpired()/countExpired() list the prefix (./sweep.ts).
 *
 * Size: one KV value holds at most 64 KiB; a bigger session is refused with a StoreError
 * before anything is sent (the request fails; the session as stored before stays).
 */
import type { Logger } from '../../core/logger.js';
import { isExpired, sweepLimit, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { storeCall } from '../shared/call.js';
import { foreignValue } from '../../core/foreign.js';
import { remedyFor, tooBig } from './errors.js';
import type { KvDatabase, KvKey } from './kv.js';
import { resolveOptions, type DenoKvStoreOptions } from './options.js';
import { countExpired, sweepExpired, type SweepTarget } from './sweep.js';
import { decodeValue, encodeValue, expireIn, MAX_SESSION_BYTES, newToken, type StoredValue } from './value.js';
import { formatVersion, parseVersion, tokenText } from './version.js';

export type { DenoKvStoreOptions };
export type { KvAtomic, KvCommitResult, KvDatabase, KvEntry, KvKey, KvListPage, KvSetOptions } from './kv.js';

/** Attempts of a create, setIf or touch that found the entry written between its read and its commit. */
const ATTEMPTS = 3;

/** An entry read: a session of ours with the versionstamp it was read at, 'foreign', or undefined for none. */
type Read = (StoredValue & { versionstamp: string }) | 'foreign' | undefined;

export class DenoKvStore implements Store {
  readonly name = 'deno-kv';
  /** The key parts every session key is put under. */
  readonly prefix: KvKey;
  readonly timeout: number;
  readonly #kv: KvDatabase;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #sweep: SweepTarget;

  constructor(options: DenoKvStoreOptions) {
    const resolved = resolveOptions(options);
    this.#kv = resolved.kv;
    this.prefix = resolved.prefix;
    this.timeout = resolved.timeout;
    this.#logger = resolved.logger;
    this.#sweep = { kv: this.#kv, prefix: this.prefix, batchSize: resolved.sweepBatchSize, run: (action, operation) => this.#run(action, operation) };
  }

  /** The KV key a session key lives under. */
  keyFor(key: string): KvKey {
    return [...this.prefix, key];
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const read = await this.#run('read', () => this.#read(key));
    if (read === undefined || read === 'foreign' || isExpired(read)) return undefined;
    return { data: read.data, expiresAt: read.expiresAt, version: formatVersion(read.versionstamp, read.token, read.expiresAt) };
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const token = newToken();
    const value = this.#encode('write', record, token);
    return this.#run('write', async () => {
      const result = await this.#kv.set(this.keyFor(key), value, this.#expiry(record.expiresAt));
      if (!result.ok) throw new Error('Deno KV did not commit the write');
      return formatVersion(result.versionstamp, token, record.expiresAt);
    });
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    const value = this.#encode('create', record, newToken());
    return this.#run('create', async () => {
      let expected: string | null = null; // nothing there
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        if (await this.#writeIf(key, value, record.expiresAt, expected)) return true;
        // Something is there: replace it only if it is an expired session of ours.
        const read = await this.#read(key);
        if (read === 'foreign' || (read !== undefined && !isExpired(read))) return false;
        expected = read?.versionstamp ?? null;
      }
      return false;
    });
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    const expected = parseVersion(expectedVersion);
    if (!expected) return false;
    const value = this.#encode('write', record, newToken());
    return this.#run('write', async () => {
      // One commit when nothing was written since the read: its versionstamp still holds.
      if (expected.expiresAt > Date.now() && (await this.#writeIf(key, value, record.expiresAt, expected.versionstamp))) return true;
      // Written since: a touch keeps the token (the write goes ahead), any other write changes it.
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const read = await this.#read(key);
        if (read === undefined || read === 'foreign' || isExpired(read) || tokenText(read.token) !== expected.token) return false;
        if (await this.#writeIf(key, value, record.expiresAt, read.versionstamp)) return true;
      }
      return false;
    });
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    await this.#run('touch', async () => {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const read = await this.#read(key);
        // Never creates, never revives: a missing or expired session stays so.
        if (read === undefined || read === 'foreign' || isExpired(read)) return;
        // The same data and token: a version held elsewhere stays good for setIf.
        const value = encodeValue({ data: read.data, expiresAt }, read.token);
        if (await this.#writeIf(key, value, expiresAt, read.versionstamp)) return;
      }
    });
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', () => this.#kv.delete(this.keyFor(key)));
  }

  /** Removes expired sessions (at most `limit`), listing the prefix in rounds of `sweepBatchSize`. */
  deleteExpired(options?: SweepOptions): Promise<number> {
    return sweepExpired(this.#sweep, sweepLimit(this.name, options));
  }

  /** Counts expired sessions by listing the prefix (every session is read). */
  countExpired(): Promise<number> {
    return countExpired(this.#sweep);
  }

  /** The entry of `key`: ours (expired or not) with its versionstamp, 'foreign' with one warning, or undefined. */
  async #read(key: string): Promise<Read> {
    const entry = await this.#kv.get(this.keyFor(key));
    if (entry.versionstamp === null) return undefined;
    const stored = decodeValue(entry.value);
    if (stored) return { ...stored, versionstamp: entry.versionstamp };
    const found = entry.value instanceof Uint8Array ? 'bytes without our header' : `a value of type ${typeof entry.value}`;
    foreignValue({ logger: this.#logger, storeName: this.name }, key, found, `Is another application writing under the prefix ${JSON.stringify(this.prefix)}? Give sessions a prefix of their own.`);
    return 'foreign';
  }

  /** Writes `value` only if the key is still at `versionstamp` (null: holds nothing); true when it did. */
  async #writeIf(key: string, value: Uint8Array, expiresAt: number, versionstamp: string | null): Promise<boolean> {
    const kvKey = this.keyFor(key);
    const result = await this.#kv.atomic().check({ key: kvKey, versionstamp }).set(kvKey, value, this.#expiry(expiresAt)).commit();
    return result.ok;
  }

  #expiry(expiresAt: number) {
    const ms = expireIn(expiresAt);
    return ms === undefined ? undefined : { expireIn: ms };
  }

  /** The value of a record, refused here when KV would refuse it: a clear error, not KV's. */
  #encode(action: string, record: StoreRecord, token: Uint8Array): Uint8Array {
    if (record.data.byteLength > MAX_SESSION_BYTES) throw tooBig(this.name, action, record.data.byteLength);
    return encodeValue(record, token);
  }

  /** One store operation within `timeout`; failures become a StoreError with a remedy. */
  #run<T>(action: string, operation: () => Promise<T>): Promise<T> {
    return storeCall(this, action, remedyFor, operation);
  }
}

export function denoKvStore(options: DenoKvStoreOptions): DenoKvStore {
  return new DenoKvStore(options);
}
