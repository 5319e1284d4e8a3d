/**
 * The Worker of `npm run test:workerd`: the Web and Hono conformance apps inside workerd,
 * each under /<adapter>/<profile>/ (profiles: test/conformance/adapter-profiles.ts), the
 * prefix taken off before the app sees the request. The suites drive it from Node over
 * miniflare's loopback port (./workerd.test.ts).
 */
import { SessionEngine } from '../../../src/engine/engine.js';
import { MemoryStore } from '../../../src/stores/memory.js';
import { adapterProfiles, multiSessionProfiles } from '../../conformance/adapter-profiles.js';
import { honoApp } from '../apps/hono-app.js';
import { webApp, type FetchHandler } from '../apps/web-app.js';

const adapters = {
  web: webApp,
  hono: (options: Parameters<typeof honoApp>[0]): FetchHandler => {
    const app = honoApp(options);
    return async (request) => app.fetch(request);
  },
};

/**
 * Built on the first request, not at start-up: workerd forbids random values and timers
 * in a Worker's global scope. Each adapter gets profiles of its own, as each of its test
 * files does in Node; apps then live as long as the isolate, as in production.
 */
let apps: Map<string, FetchHandler> | undefined;
function build(env: Env): Map<string, FetchHandler> {
  const built = new Map<string, FetchHandler>();
  const settings = { requestContext: env.REQUEST_CONTEXT !== 'off' };
  for (const [adapter, app] of Object.entries(adapters)) {
    for (const [profile, options] of Object.entries({ ...adapterProfiles(settings), ...multiSessionProfiles() })) {
      built.set(`${adapter}/${profile}`, app(options));
    }
  }
  return built;
}

/** What an engine with `requestContext: true` makes of this runtime: 'available', or its start-up error. */
async function requestContextAnswer(): Promise<Response> {
  const engine = new SessionEngine({ store: new MemoryStore(), requestContext: true, logger: { warn: () => {}, info: () => {} } });
  try {
    await engine.ready;
    return new Response('available');
  } catch (error) {
    return new Response(`${(error as Error).name}: ${(error as Error).message}`);
  }
}

/** The Worker's bindings: what the suite says the runtime lacks (its `unavailable` traits). */
interface Env {
  REQUEST_CONTEXT?: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    // What answers: the suite checks that it is workerd, not a Node that stands in for it.
    if (url.pathname === '/runtime') return new Response(String((globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent));
    if (url.pathname === '/request-context') return requestContextAnswer();
    const [, adapter, profile, ...rest] = url.pathname.split('/');
    apps ??= build(env);
    const app = apps.get(`${adapter}/${profile}`);
    if (!app) return new Response(`no app ${adapter}/${profile} in this Worker`, { status: 404 });
    return app(new Request(new URL(`/${rest.join('/')}${url.search}`, url), request));
  },
};

/**
 * The store registry loads a store named by type (`type: 'memory'`, the 'data' session of
 * multiSession) with `import(\`sessionkit/stores/${name}\`)`, which no bundler can follow:
 * ./bundle.ts gives workerd a module of that name which re-exports this.
 */
export { MemoryStore, memoryStore } from '../../../src/stores/memory.js';
