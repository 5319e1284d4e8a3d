import { AsyncLocalStorage } from 'node:async_hooks';
import type { Session, SessionData } from './session.js';

/**
 * The request-scoped `session`: Flask's `from flask import session`, for any adapter.
 * Every adapter runs the rest of the request inside `runWithSession`, so code anywhere
 * below a handler (a service, a helper, a template function) can use `session` without
 * passing the request around.
 */
const storage = new AsyncLocalStorage<Session>();

export function runWithSession<R>(session: Session, callback: () => R): R {
  return storage.run(session, callback);
}

/** The current request's session; throws outside a request handled by a sessionkit adapter. */
export function currentSession<T extends object = SessionData>(): Session<T> {
  const current = storage.getStore();
  if (!current) {
    throw new Error(
      'sessionkit: `session` was used outside a request. It is only available while a request handled by a ' +
        'sessionkit adapter (express, fastify, koa, hono, web, node) is running; in other code, pass the session explicitly.',
    );
  }
  return current as Session<T>;
}

/** Forwards every operation to the session of the request in progress. */
const forward: ProxyHandler<object> = {
  get: (_, property) => Reflect.get(currentSession(), property),
  set: (_, property, value) => Reflect.set(currentSession(), property, value),
  has: (_, property) => Reflect.has(currentSession(), property),
  deleteProperty: (_, property) => Reflect.deleteProperty(currentSession(), property),
  ownKeys: () => Reflect.ownKeys(currentSession()),
  getOwnPropertyDescriptor: (_, property) => Reflect.getOwnPropertyDescriptor(currentSession(), property),
  defineProperty: (_, property, descriptor) => Reflect.defineProperty(currentSession(), property, descriptor),
};

/**
 * The session of the request in progress, wherever you are in its call chain:
 *
 *     import { session } from 'sessionkit';
 *     export function addToCart(item: string) { (session.cart ??= []).push(item); }
 */
export const session = new Proxy({}, forward) as Session<SessionData>;
