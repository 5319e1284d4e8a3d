import { SessionConfigError } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { isExpired, type Store, type StoreRecord } from '../core/store.js';
import { DEFAULT_TIMEOUT_MS, storeCall, type CallScope } from '../stores/shared/call.js';
import { foreignValue } from '../core/foreign.js';
import { callbackToPromise, isNotFound, type ConnectSession, type ConnectStore } from './connect-store.js';
import { connectStoreId, DEFAULT_MAX_ID_LENGTH, fromConnectSession, MIN_MAX_ID_LENGTH, toConnectSession } from './record.js';

export interface FromConnectStoreOptions {
  /** The name in logs and errors. Default: `connect:` and the store's class name (`connect:RedisStore`). */
  name?: string;
  /** Milliseconds one call of the store may take. Default DEFAULT_TIMEOUT_MS. */
  timeout?: number;
  /** Where warnings go (a value that is not ours). Default: console. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * Longest id the store accepts (connect-session-sequelize's default column: 36). Longer
   * keys, and keys with characters other than letters, digits, `_`, `:` and `-`, are
   * stored under a hash of the key. Default 128; at least 24.
   */
  maxIdLength?: number;
}

const REMEDY = "Check the express-session store's own backend (is its server up and reachable, does its table or directory exist?).";
const FOREIGN_REMEDY = 'Is an express-session application sharing this store and id prefix? Give sessionkit a keyPrefix of its own.';

/** What a read found: nothing, a value, or a value the store itself could not parse. */
type Found = { kind: 'none' } | { kind: 'value'; value: unknown } | { kind: 'unparsable'; reason: string };

/**
 * Any express-session store (connect-redis, connect-pg-simple, memorystore,
 * session-file-store, …) as a sessionkit store.
 *
 * Such a store's `set` is a blind upsert, so this store has no `create` and no `setIf`:
 * concurrent requests of one session are last-writer-wins (the engine cannot merge them).
 * Its `touch` rewrites the record it has just read with the new expiry (express-session's
 * `touch` would carry our possibly stale copy, and connect-redis and connect-pg-simple move
 * only their own TTL, not the expiry inside the record). Expiry is checked on every read.
 */
export class ConnectStoreAdapter implements Store, CallScope {
  readonly name: string;
  readonly timeout: number;
  readonly maxIdLength: number;
  readonly #store: ConnectStore;
  readonly #logger: Pick<Logger, 'warn'>;

  constructor(store: ConnectStore, options: FromConnectStoreOptions = {}) {
    if (typeof store !== 'object' || store === null || typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.destroy !== 'function') {
      throw new SessionConfigError('fromConnectStore() needs an express-session store: an object with get(sid, cb), set(sid, session, cb) and destroy(sid, cb).');
    }
    const maxIdLength = options.maxIdLength ?? DEFAULT_MAX_ID_LENGTH;
    if (!Number.isInteger(maxIdLength) || maxIdLength < MIN_MAX_ID_LENGTH) {
      throw new SessionConfigError(`fromConnectStore(): maxIdLength must be an integer of at least ${MIN_MAX_ID_LENGTH}, got ${String(options.maxIdLength)}.`);
    }
    this.#store = store;
    this.maxIdLength = maxIdLength;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.#logger = options.logger ?? consoleLogger;
    const className = (store as { constructor?: { name?: unknown } }).constructor?.name;
    this.name = options.name ?? `connect:${typeof className === 'string' && className !== '' && className !== 'Object' ? className : 'store'}`;
  }

  /** The id this store hands the express-session store for `key`. */
  idFor(key: string): string {
    return connectStoreId(key, this.maxIdLength);
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const found = await this.#read(key);
    if (found.kind === 'none') return undefined;
    if (found.kind === 'unparsable') { foreignValue({ logger: this.#logger, storeName: this.name }, key, found.reason, FOREIGN_REMEDY); return; }
    const record = fromConnectSession(found.value, key);
    if (typeof record === 'string') { foreignValue({ logger: this.#logger, storeName: this.name }, key, record, FOREIGN_REMEDY); return; }
    // Some stores never check expiry on read (or only to the second): the record's own expiry decides.
    return isExpired(record) ? undefined : record;
  }

  async set(key: string, record: StoreRecord): Promise<undefined> {
    // A record that is already expired does not exist: remove it rather than hand the store a TTL of zero or less.
    if (isExpired(record)) {
      await this.delete(key);
      return undefined;
    }
    const id = this.idFor(key);
    const session = toConnectSession(key, record);
    await storeCall(this, 'set', REMEDY, () => callbackToPromise((cb) => this.#store.set(id, session, cb)));
    return undefined;
  }

  async delete(key: string): Promise<void> {
    const id = this.idFor(key);
    await storeCall(this, 'delete', REMEDY, async () => {
      try {
        await callbackToPromise((cb) => this.#store.destroy(id, cb));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    });
  }

  /**
   * Reads the live record and writes its current bytes back with the new expiry: never the
   * copy the engine loaded at the start of the request. A missing or expired record stays missing.
   */
  async touch(key: string, expiresAt: number): Promise<void> {
    const current = await this.get(key);
    if (!current) return;
    await this.set(key, { data: current.data, expiresAt });
  }

  async #read(key: string): Promise<Found> {
    const id = this.idFor(key);
    return storeCall(this, 'get', REMEDY, async (): Promise<Found> => {
      try {
        const value = await callbackToPromise<ConnectSession | null | undefined>((cb) => this.#store.get(id, cb));
        return value === undefined || value === null ? { kind: 'none' } : { kind: 'value', value };
      } catch (error) {
        if (isNotFound(error)) return { kind: 'none' };
        // memorystore and session-file-store call back JSON.parse's error for a value they cannot read.
        if (error instanceof SyntaxError) return { kind: 'unparsable', reason: `a value the store cannot parse (${error.message})` };
        throw error;
      }
    });
  }
}

/** Any express-session store as a sessionkit store. See {@link ConnectStoreAdapter}. */
export function fromConnectStore(store: ConnectStore, options?: FromConnectStoreOptions): ConnectStoreAdapter {
  return new ConnectStoreAdapter(store, options);
}
