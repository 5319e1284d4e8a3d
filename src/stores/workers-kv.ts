/**
 * Sessions in Workers KV, from a Worker: `workersKvStore({ namespace: env.SESSIONS })`.
 *
 * Eventually consistent and without compare-and-set, so it implements only get, set and
 * delete (no create, setIf or touch): two requests that change one session at once both
 * write, and the last write wins; a write reaches other locations within about 60 s, until
 * when they may read the session as it was (or, just after a logout, still signed in).
 * The engine refuses the options that need compare-and-set (`userField`, `lock`) at start-up
 * with this store: use the D1 or the Durable Object store for those, and wherever a
 * revocation must take effect at once. KV also takes at most one write per second to one
 * key; a session changed by every request of a burst gets 429 errors beyond that.
 *
 * Each record is the value (the session's bytes) with its expiry in the key's metadata,
 * read in the same call. KV's own expiry must be at least 60 s ahead: a record with less
 * life left is kept for 60 s, and the expiry checked on every read makes it absent on time.
 * A record written already expired is deleted instead.
 *
 * It needs no library (the binding is typed by the methods called on it) and its import
 * graph holds no `node:` module and no Buffer.
 */
import { SessionConfigError } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { isExpired, StoreError, type Store, type StoreRecord } from '../core/store.js';
import { DEFAULT_TIMEOUT_MS, storeCall } from './shared/call.js';
import { foreignValue, SHARED_KEYSPACE_REMEDY } from '../core/foreign.js';

/** What is called on a KV namespace binding (`env.SESSIONS`, a KVNamespace). */
export interface KVNamespaceLike {
  getWithMetadata(key: string, type: 'arrayBuffer'): Promise<{ value: ArrayBuffer | null; metadata: unknown }>;
  put(key: string, value: Uint8Array, options: { expirationTtl: number; metadata: RecordMetadata }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** The metadata stored with each record. */
export interface RecordMetadata {
  /** Absolute expiry, epoch milliseconds. */
  readonly expiresAt: number;
}

export interface WorkersKvStoreOptions {
  /** The KV namespace binding. Borrowed: there is nothing to close. */
  namespace: KVNamespaceLike;
  /** Milliseconds one operation may take before it fails. Default DEFAULT_TIMEOUT_MS. */
  timeout?: number;
  /** Where a value that is not a session is reported. Default: console. */
  logger?: Pick<Logger, 'warn'>;
}

/** KV refuses an expirationTtl below 60 seconds. */
const MIN_TTL_SECONDS = 60;
/** KV's limit on the size of a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 512;

const REMEDY = 'Is the KV namespace bound to this Worker (kv_namespaces in its wrangler configuration) under the binding passed as `namespace`?';

export class WorkersKvStore implements Store {
  readonly name = 'workers-kv';
  readonly timeout: number;
  readonly #kv: KVNamespaceLike;
  readonly #logger: Pick<Logger, 'warn'>;

  constructor(options: WorkersKvStoreOptions) {
    const kv = options.namespace as Partial<KVNamespaceLike> | undefined;
    if (typeof kv?.getWithMetadata !== 'function' || typeof kv.put !== 'function' || typeof kv.delete !== 'function') {
      throw new SessionConfigError('workersKvStore: `namespace` must be a KV namespace binding (env.SESSIONS, as named in kv_namespaces of your wrangler configuration).');
    }
    this.#kv = options.namespace;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.#logger = options.logger ?? consoleLogger;
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const { value, metadata } = await storeCall(this, 'read', REMEDY, () => this.#kv.getWithMetadata(key, 'arrayBuffer'));
    if (value === null) return undefined;
    const expiresAt = (metadata as Partial<RecordMetadata> | null)?.expiresAt;
    if (typeof expiresAt !== 'number') {
      foreignValue({ logger: this.#logger, storeName: this.name }, key, "a value without sessionkit's expiry in its metadata", SHARED_KEYSPACE_REMEDY);
      return undefined;
    }
    // KV keeps a record at least 60 s: the expiry it carries decides.
    if (isExpired({ expiresAt })) return undefined;
    return { data: new Uint8Array(value), expiresAt };
  }

  /** Resolves undefined: KV has no versions to compare. */
  async set(key: string, record: StoreRecord): Promise<undefined> {
    checkKey(this.name, key);
    const left = record.expiresAt - Date.now();
    if (left <= 0) {
      await this.delete(key);
      return undefined;
    }
    // KV counts the TTL from its clock's whole second (seen in workerd: the floor), so one
    // second more: KV must never drop a record before its expiry.
    const expirationTtl = Math.max(MIN_TTL_SECONDS, Math.ceil(left / 1000) + 1);
    await storeCall(this, 'write', REMEDY, () => this.#kv.put(key, record.data, { expirationTtl, metadata: { expiresAt: record.expiresAt } }));
    return undefined;
  }

  async delete(key: string): Promise<void> {
    await storeCall(this, 'delete', REMEDY, () => this.#kv.delete(key));
  }
}

function checkKey(storeName: string, key: string): void {
  if (key.length * 3 > MAX_KEY_BYTES && new TextEncoder().encode(key).length > MAX_KEY_BYTES) {
    throw new StoreError(storeName, `key is longer than ${MAX_KEY_BYTES} bytes, the most Workers KV takes. Shorten the keyPrefix.`);
  }
}

/** A store over a KV namespace binding; see the module comment for what it cannot promise. */
export function workersKvStore(options: WorkersKvStoreOptions): WorkersKvStore {
  return new WorkersKvStore(options);
}
