import type { EventEmitter } from 'node:events';
import { SessionConfigError } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { DEFAULT_MAX_SESSION_BYTES } from '../core/limits.js';
import { StoreError, type Store, type StoreRecord } from '../core/store.js';
import { foreignValue } from '../core/foreign.js';
import { loadOptional } from '../stores/shared/load-optional.js';
import type { ConnectCallback, ConnectSession, ConnectStore } from './connect-store.js';

/** What sessionkit needs of the express-session module: its Store base class (createSession, load, regenerate). */
export interface ExpressSessionModule {
  Store: abstract new () => EventEmitter;
}

export interface ToConnectStoreOptions {
  /** Prepended to express-session's ids to make the store's keys. Default 'sess:'. */
  prefix?: string;
  /** Milliseconds a session lives whose cookie has no expiry (a browser-session cookie). Default one day. */
  ttl?: number;
  /**
   * Largest session, serialized as JSON, that is written or read, in bytes: a bigger one is
   * refused on write (the callback gets the error), and a bigger record read from the store
   * (planted by whoever can write it) is no session, with one warning, never parsed.
   * Default 1 MiB, as the engine's `maxSessionBytes`.
   */
  maxSessionBytes?: number;
  /** Where warnings go (a record that is not an express-session session). Default: console. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * The express-session module whose Store class the result extends (express-session calls
   * its createSession). Default: `express-session`, loaded when toConnectStore() is called.
   * Pass it (`expressSession: session`) to have the result typed as express-session's Store.
   */
  expressSession?: ExpressSessionModule;
}

/**
 * A sessionkit store as express-session sees it. Called without a callback, every method
 * returns a promise instead (as connect-redis 9 and other modern stores do).
 */
export interface SessionkitConnectStore extends ConnectStore, EventEmitter {
  readonly store: Store;
  get(sid: string): Promise<ConnectSession | null>;
  get(sid: string, callback: ConnectCallback<ConnectSession | null>): void;
  set(sid: string, session: ConnectSession): Promise<void>;
  set(sid: string, session: ConnectSession, callback: ConnectCallback): void;
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback: ConnectCallback): void;
  touch(sid: string, session: ConnectSession): Promise<void>;
  touch(sid: string, session: ConnectSession, callback: ConnectCallback): void;
  /** The rest exist where the sessionkit store can list its records (`Store.keys`). */
  all?(): Promise<ListedSession[]>;
  all?(callback: ConnectCallback<ListedSession[]>): void;
  ids?(): Promise<string[]>;
  ids?(callback: ConnectCallback<string[]>): void;
  length?(): Promise<number>;
  length?(callback: ConnectCallback<number>): void;
  clear?(): Promise<void>;
  clear?(callback: ConnectCallback): void;
}

/** A session as `all` lists it: express-session's session with its id (as connect-redis 9 lists them). */
export type ListedSession = ConnectSession & { id: string };

const ONE_DAY_MS = 86_400_000;
const FOREIGN_REMEDY = 'Is sessionkit itself using the same store and prefix? Give the express-session application a prefix of its own.';

/**
 * Any sessionkit store as an express-session store (also for express-openid-connect's
 * `session.store` and AdminJS): `get`, `set`, `destroy` and `touch`, and `all`, `ids`,
 * `length` and `clear` where the store can list its records (`Store.keys`); each takes a
 * callback or returns a promise. The record's bytes are express-session's session as JSON; its
 * expiry is the cookie's (`expires`, else `maxAge` from now, else `ttl`).
 */
export function toConnectStore<M extends ExpressSessionModule>(
  store: Store,
  options: ToConnectStoreOptions & { expressSession: M },
): InstanceType<M['Store']> & SessionkitConnectStore;
export function toConnectStore(store: Store, options?: ToConnectStoreOptions): SessionkitConnectStore;
export function toConnectStore(store: Store, options: ToConnectStoreOptions = {}): SessionkitConnectStore {
  const prefix = options.prefix ?? 'sess:';
  const ttl = options.ttl ?? ONE_DAY_MS;
  if (typeof prefix !== 'string') throw new SessionConfigError('toConnectStore(): prefix must be a string.');
  if (!(ttl > 0) || !Number.isFinite(ttl)) throw new SessionConfigError(`toConnectStore(): ttl must be a positive number of milliseconds, got ${String(options.ttl)}.`);
  const maxBytes = options.maxSessionBytes ?? DEFAULT_MAX_SESSION_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new SessionConfigError('toConnectStore(): maxSessionBytes must be a positive integer number of bytes.');
  const logger = options.logger ?? consoleLogger;
  const expressSession = options.expressSession ?? loadOptional<ExpressSessionModule>('express-session', 'connect');
  const recordOf = (session: ConnectSession, expiresAt: number): StoreRecord => {
    const data = Buffer.from(JSON.stringify(session));
    if (data.length > maxBytes) {
      throw new StoreError(store.name, `the session is ${data.length} bytes as JSON, over maxSessionBytes (${maxBytes}); it was not saved. Keep less in the session, or raise toConnectStore()'s maxSessionBytes.`);
    }
    return { data, expiresAt };
  };
  /** The session a record holds; undefined, with one warning, for a record that is not one. */
  const sessionIn = (key: string, record: StoreRecord): Record<string, unknown> | undefined => {
    if (record.data.length > maxBytes) {
      foreignValue({ logger, storeName: store.name }, key, `a record of ${record.data.length} bytes, over maxSessionBytes (${maxBytes})`, "It was not parsed. Raise toConnectStore()'s maxSessionBytes if your sessions are that big.");
      return undefined;
    }
    let session: unknown;
    try {
      session = JSON.parse(Buffer.from(record.data).toString('utf8'));
    } catch {
      session = undefined;
    }
    if (typeof session === 'object' && session !== null && !Array.isArray(session)) return session as Record<string, unknown>;
    foreignValue({ logger, storeName: store.name }, key, 'a value that is not an express-session session (not a JSON object)', FOREIGN_REMEDY);
    return undefined;
  };

  class SessionkitStore extends expressSession.Store {
    readonly store = store;

    get(sid: string): Promise<ConnectSession | null>;
    get(sid: string, callback: ConnectCallback<ConnectSession | null>): void;
    get(sid: string, callback?: ConnectCallback<ConnectSession | null>): Promise<ConnectSession | null> | undefined {
      const key = prefix + sid;
      return answer(
        store.get(key).then((record) => (record && sessionIn(key, record)) ?? null),
        callback,
      );
    }

    set(sid: string, session: ConnectSession): Promise<void>;
    set(sid: string, session: ConnectSession, callback: ConnectCallback): void;
    set(sid: string, session: ConnectSession, callback?: ConnectCallback): Promise<void> | undefined {
      const key = prefix + sid;
      const expiresAt = expiryOf(session, ttl);
      const write = async () => {
        if (expiresAt <= Date.now()) await store.delete(key);
        else await store.set(key, recordOf(session, expiresAt));
      };
      return answer(write(), callback);
    }

    destroy(sid: string): Promise<void>;
    destroy(sid: string, callback: ConnectCallback): void;
    destroy(sid: string, callback?: ConnectCallback): Promise<void> | undefined {
      return answer(store.delete(prefix + sid), callback);
    }

    touch(sid: string, session: ConnectSession): Promise<void>;
    touch(sid: string, session: ConnectSession, callback: ConnectCallback): void;
    touch(sid: string, session: ConnectSession, callback?: ConnectCallback): Promise<void> | undefined {
      return answer(this.#touch(prefix + sid, session), callback);
    }

    /**
     * Moves the record's expiry and the cookie it stores (express-session's `cookie.expires`
     * is read back by the application), keeping the stored data: express-session's copy of
     * the session may be older than the store's. Rewritten only with a compare-and-set; a
     * store without one moves only its expiry where it can.
     */
    async #touch(key: string, session: ConnectSession): Promise<void> {
      const expiresAt = expiryOf(session, ttl);
      const record = await store.get(key);
      const stored = record && sessionIn(key, record);
      if (!stored) return;
      const touched = recordOf({ ...stored, cookie: session.cookie }, expiresAt);
      // Lost the compare-and-set: a newer write of the session, with its own cookie, stands.
      if (store.setIf && record.version !== undefined) await store.setIf(key, touched, record.version);
      else if (store.touch) await store.touch(key, expiresAt);
      else await store.set(key, touched);
    }
  }

  const adapter: SessionkitConnectStore = new SessionkitStore();
  const keys = store.keys?.bind(store);
  if (keys) {
    /** The ids of the live sessions: the store's keys under the prefix, without it. */
    const ids = async (): Promise<string[]> => {
      const listed: string[] = [];
      for await (const key of keys(prefix)) listed.push(key.slice(prefix.length));
      return listed;
    };
    const all = async (): Promise<ListedSession[]> => {
      const sessions = await Promise.all((await ids()).map(async (id) => ({ id, session: await adapter.get(id) })));
      // A session gone (or foreign) between the listing and its read is not listed.
      return sessions.flatMap(({ id, session }) => (session ? [{ ...session, id }] : []));
    };
    const clear = async (): Promise<void> => {
      await Promise.all((await ids()).map((id) => store.delete(prefix + id)));
    };
    const methods = {
      all: (callback?: ConnectCallback<ListedSession[]>) => answer(all(), callback),
      ids: (callback?: ConnectCallback<string[]>) => answer(ids(), callback),
      length: (callback?: ConnectCallback<number>) => answer(ids().then((listed) => listed.length), callback),
      clear: (callback?: ConnectCallback) => answer(clear(), callback),
    };
    // Not enumerable, like the class's own methods; absent (as express-session expects) where the store cannot list.
    for (const [name, value] of Object.entries(methods)) Object.defineProperty(adapter, name, { value, writable: true, configurable: true });
  }
  return adapter;
}

/** When a session expires: its cookie's `expires`, else `maxAge` from now, else `ttl` from now (a browser-session cookie). */
function expiryOf(session: ConnectSession, ttl: number): number {
  const cookie = session.cookie;
  const expires = cookie?.expires;
  const at = expires === undefined || expires === null ? Number.NaN : new Date(expires).getTime();
  if (Number.isFinite(at)) return at;
  const maxAge = cookie?.maxAge;
  return Date.now() + (typeof maxAge === 'number' && Number.isFinite(maxAge) ? maxAge : ttl);
}

/**
 * With a callback: calls it once the promise settles, outside of it (an exception in the
 * callback is not swallowed as a rejection). Without one: the promise itself.
 */
function answer<T>(promise: Promise<T>, callback: ConnectCallback<T> | undefined): Promise<T> | undefined {
  if (!callback) return promise;
  promise.then(
    (result) => process.nextTick(callback, null, result),
    (error: unknown) => process.nextTick(callback, error),
  );
  return undefined;
}
