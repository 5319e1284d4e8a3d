import type { EventEmitter } from 'node:events';
import { SessionConfigError } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import type { Store } from '../core/store.js';
import { foreignValue } from '../stores/shared/foreign.js';
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
  /** Where warnings go (a record that is not an express-session session). Default: console. */
  logger?: Pick<Logger, 'warn'>;
  /**
   * The express-session module whose Store class the result extends (express-session calls
   * its createSession). Default: `express-session`, loaded when toConnectStore() is called.
   * Pass it (`expressSession: session`) to have the result typed as express-session's Store.
   */
  expressSession?: ExpressSessionModule;
}

/** A sessionkit store as express-session sees it; `touch` only where the store can move an expiry. */
export type SessionkitConnectStore = ConnectStore & EventEmitter & { readonly store: Store };

const ONE_DAY_MS = 86_400_000;
const FOREIGN_REMEDY = 'Is sessionkit itself using the same store and prefix? Give the express-session application a prefix of its own.';

/**
 * Any sessionkit store as an express-session store (also for express-openid-connect's
 * `session.store` and AdminJS): `get`, `set`, `destroy`, and `touch` where the store has
 * one. No `all`, `length` or `clear`: a sessionkit store cannot list its records.
 * The record's bytes are express-session's session as JSON; its expiry is the cookie's.
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
  const logger = options.logger ?? consoleLogger;
  const expressSession = options.expressSession ?? loadOptional<ExpressSessionModule>('express-session', 'connect');
  const expiryOf = (session: ConnectSession): number => {
    const expires = session.cookie?.expires;
    const at = expires === undefined || expires === null ? Number.NaN : new Date(expires).getTime();
    return Number.isFinite(at) ? at : Date.now() + ttl;
  };

  class SessionkitStore extends expressSession.Store implements ConnectStore {
    readonly store = store;

    get(sid: string, callback: ConnectCallback<ConnectSession | null>): void {
      const key = prefix + sid;
      answer(
        store.get(key).then((record) => {
          if (!record) return null;
          let session: unknown;
          try {
            session = JSON.parse(Buffer.from(record.data).toString('utf8'));
          } catch {
            session = undefined;
          }
          if (typeof session === 'object' && session !== null && !Array.isArray(session)) return session;
          foreignValue(logger, store.name, key, 'a value that is not an express-session session (not a JSON object)', FOREIGN_REMEDY);
          return null;
        }),
        callback,
      );
    }

    set(sid: string, session: ConnectSession, callback?: ConnectCallback): void {
      const key = prefix + sid;
      const expiresAt = expiryOf(session);
      const write = async () => {
        if (expiresAt <= Date.now()) await store.delete(key);
        else await store.set(key, { data: Buffer.from(JSON.stringify(session)), expiresAt });
      };
      answer(write(), callback);
    }

    destroy(sid: string, callback?: ConnectCallback): void {
      answer(store.delete(prefix + sid), callback);
    }
  }

  const adapter = new SessionkitStore();
  const touch = store.touch?.bind(store);
  if (touch) {
    // Only the expiry moves: express-session's copy of the session may be older than the store's.
    const touchMethod = (sid: string, session: ConnectSession, callback?: ConnectCallback): void => {
      answer(touch(prefix + sid, expiryOf(session)), callback);
    };
    Object.defineProperty(adapter, 'touch', { value: touchMethod, enumerable: false, writable: true, configurable: true });
  }
  return adapter;
}

/** Calls back once the promise settles, outside of it: an exception in the callback is not swallowed as a rejection. */
function answer<T>(promise: Promise<T>, callback: ConnectCallback<T> | undefined): void {
  promise.then(
    (result) => {
      if (callback) process.nextTick(callback, null, result);
    },
    (error: unknown) => {
      if (callback) process.nextTick(callback, error);
    },
  );
}
