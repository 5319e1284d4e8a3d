/**
 * The shape of an express-session store, declared here so that sessionkit never needs
 * express-session at run time: what connect-redis, connect-pg-simple, memorystore,
 * session-file-store and the others implement, and what express-session calls.
 */
import { describeValue } from '../core/errors.js';

/** express-session's callback: an error, or the result. */
export type ConnectCallback<T = unknown> = (error?: unknown, result?: T) => void;

/** The `cookie` field express-session keeps inside every stored session. */
export interface ConnectCookieFields {
  originalMaxAge?: number | null;
  maxAge?: number | null;
  expires?: string | Date | null;
  httpOnly?: boolean;
  path?: string;
  domain?: string;
  secure?: boolean | 'auto';
  sameSite?: boolean | 'lax' | 'strict' | 'none';
}

/**
 * A session as express-session hands it to its store: `cookie` and the application's fields
 * (left undeclared, so that express-session's own SessionData, and its stores, fit).
 */
export interface ConnectSession {
  cookie?: ConnectCookieFields;
}

/** Any express-session store. Only get, set and destroy are required. */
export interface ConnectStore {
  get(sid: string, callback: ConnectCallback<ConnectSession | null | undefined>): unknown;
  set(sid: string, session: ConnectSession, callback?: ConnectCallback): unknown;
  destroy(sid: string, callback?: ConnectCallback): unknown;
  touch?(sid: string, session: ConnectSession, callback?: ConnectCallback): unknown;
  all?(callback: ConnectCallback<ConnectSession[] | Record<string, ConnectSession> | null>): unknown;
  length?(callback: ConnectCallback<number>): unknown;
  clear?(callback?: ConnectCallback): unknown;
}

/**
 * One call of a callback-style store method as a promise. Settles on the first callback
 * (a store that calls back twice is ignored the second time); a store that throws, or
 * also returns a promise that rejects (connect-redis 9 returns one), rejects it.
 */
export function callbackToPromise<T>(start: (callback: ConnectCallback<T>) => unknown): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    let settled = false;
    const callback: ConnectCallback<T> = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error instanceof Error ? error : new Error(describeValue(error)));
      else resolve(result);
    };
    const returned = start(callback);
    if (isThenable(returned)) {
      returned.then(undefined, (error: unknown) => {
        callback(error ?? new Error('the store rejected without a reason'));
      });
    }
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Not found, as some stores report it: session-file-store calls back ENOENT for a missing file. */
export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}
