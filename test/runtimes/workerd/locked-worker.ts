/**
 * The Worker of ./locked-sessions.test.ts: the locked-sessions suite's app
 * (test/conformance/locked-session-routes.ts) inside workerd, on the stores a Worker has
 * with compare-and-set, through both adapters that run there, under
 * /<adapter>/<store>/<app>/<route>: adapter `hono` or `web`, store `d1` (the D1 binding DB)
 * or `durable-object` (the namespace SESSIONS, four shards), app one of LOCKED_APPS.
 */
import { Hono } from 'hono';
import { sessionkit, type SessionVariables } from '../../../src/adapters/hono.js';
import { webSessions } from '../../../src/adapters/web.js';
import type { SessionOptions } from '../../../src/engine/options.js';
import type { Store } from '../../../src/core/store.js';
import { d1Store, type D1DatabaseLike } from '../../../src/stores/d1/index.js';
import { durableObjectStore, type DurableObjectNamespaceLike } from '../../../src/stores/durable-object/index.js';
import { LOCKED_APPS, lockedSessionApp } from '../../conformance/locked-session-routes.js';

export { SessionDurableObject } from '../../../src/stores/durable-object/index.js';

interface Env {
  DB: D1DatabaseLike;
  SESSIONS: DurableObjectNamespaceLike;
}

/** What workerd passes a Worker's fetch as its third argument, as Hono types it. */
type ExecutionContextLike = NonNullable<Parameters<Hono['fetch']>[2]>;
type Handler = (request: Request, executionContext: ExecutionContextLike) => Promise<Response>;
type Data = Record<string, unknown>;

const failed = (error: unknown) => new Response((error as Error).message, { status: 500 });

const adapters: Record<string, (options: SessionOptions) => Handler> = {
  hono: (options) => {
    const app = new Hono<{ Variables: SessionVariables }>();
    app.use(sessionkit(options));
    const answer = lockedSessionApp();
    app.all('*', async (c) => c.text(await answer(c.req.path, c.get('session') as unknown as Data)));
    app.onError((error, c) => c.text(error.message, 500));
    // As Workers call it: with the execution context, whose waitUntil the adapter uses.
    return async (request, executionContext) => app.fetch(request, {}, executionContext);
  },
  web: (options) => {
    const answer = lockedSessionApp();
    const handle = webSessions(options).handle(async (request, session) => new Response(await answer(new URL(request.url).pathname, session as unknown as Data)));
    return (request) => handle(request).catch(failed);
  },
};

/** Built on the first request: bindings arrive with it, and workerd forbids random values at start-up. */
let apps: Map<string, Handler> | undefined;
function build(env: Env): Map<string, Handler> {
  const stores: Record<string, Store> = {
    d1: d1Store({ database: env.DB, table: 'locked_sessions' }),
    'durable-object': durableObjectStore({ namespace: env.SESSIONS, name: 'locked-sessions', shards: 4 }),
  };
  const built = new Map<string, Handler>();
  for (const [adapter, make] of Object.entries(adapters)) {
    for (const [storeName, store] of Object.entries(stores)) {
      for (const [name, lock] of Object.entries(LOCKED_APPS)) {
        const options: SessionOptions = { store, secret: 'locked-sessions-suite-secret-01', logger: { warn: () => {}, info: () => {} }, lock };
        built.set(`${adapter}/${storeName}/${name}`, make(options));
      }
    }
  }
  return built;
}

export default {
  async fetch(request: Request, env: Env, executionContext: ExecutionContextLike): Promise<Response> {
    const url = new URL(request.url);
    const [, adapter, store, name, ...rest] = url.pathname.split('/');
    apps ??= build(env);
    const app = apps.get(`${adapter}/${store}/${name}`);
    if (!app) return new Response(`no app ${adapter}/${store}/${name} in this Worker`, { status: 404 });
    return app(new Request(new URL(`/${rest.join('/')}${url.search}`, url), request), executionContext);
  },
};
