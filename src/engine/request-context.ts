import type { AsyncLocalStorage } from 'node:async_hooks';
import { SessionConfigError } from '../core/errors.js';
import { nodeBuiltin } from '../core/node-builtin.js';
import type { Session, SessionData } from './session.js';

/**
 * The request-scoped `session`: Flask's `from flask import session`, for any adapter.
 * With `requestContext: true`, every adapter runs the rest of the request inside
 * `runWithSession`, so code anywhere below a handler (a service, a helper, a template
 * function) can use `session` without passing the request around.
 *
 * It is opt-in because on Node 20 and 22 the first AsyncLocalStorage in a process
 * installs promise hooks that slow down every promise of the whole application (measured
 * with the Express benchmark: 0.68x -> 0.43x of the no-session throughput). The storage
 * is created only when an engine asks for it, so applications without it pay nothing.
 */
let storage: AsyncLocalStorage<Session> | undefined;

type AsyncHooks = { AsyncLocalStorage?: typeof AsyncLocalStorage } | undefined;
/** A variable, not a literal: a bundler for Workers must not try to resolve it (it fails the build without a flag). */
const ASYNC_HOOKS: string = 'node:async_hooks';

const unavailable = () =>
  new SessionConfigError(
    'requestContext: true needs AsyncLocalStorage, which this runtime does not offer (on Cloudflare Workers, add the ' +
      '"nodejs_als" or "nodejs_compat" compatibility flag). Without it, use the session the adapter gives you (c.get(\'session\'), …).',
  );

/**
 * Called by engines created with `requestContext: true`. Node, Bun, Deno (and Workers with
 * nodejs_compat) hand AsyncLocalStorage over at once, through `process.getBuiltinModule`.
 * Workers with only `nodejs_als` have no `process`: node:async_hooks can only be imported
 * there, so the answer is a promise, which the engine makes part of its `ready` — and
 * which rejects with the error above where the runtime has no AsyncLocalStorage at all.
 */
export function enableRequestContext(): Promise<void> | undefined {
  if (storage) return undefined;
  const Storage = nodeBuiltin<AsyncHooks>('node:async_hooks')?.AsyncLocalStorage;
  if (Storage) {
    storage = new Storage<Session>();
    return undefined;
  }
  return (import(/* @vite-ignore */ ASYNC_HOOKS) as Promise<AsyncHooks>).then(
    (hooks) => {
      if (!hooks?.AsyncLocalStorage) throw unavailable();
      storage ??= new hooks.AsyncLocalStorage<Session>();
    },
    () => {
      throw unavailable();
    },
  );
}

export function runWithSession<R>(session: Session, callback: () => R): R {
  return storage ? storage.run(session, callback) : callback();
}

/** The current request's session; throws outside a request handled by a sessionkit adapter. */
export function currentSession<T extends object = SessionData>(): Session<T> {
  if (!storage) {
    throw new Error(
      'sessionkit: the request-scoped `session` is off. Create the middleware with `requestContext: true` to use it ' +
        '(it costs throughput on Node < 24; see docs/frameworks.md in the sessionkit repository), or use the session the adapter gives you (req.session, …).',
    );
  }
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
  get: (_, property): unknown => Reflect.get(currentSession(), property),
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
export const session = new Proxy({}, forward) as Session;
