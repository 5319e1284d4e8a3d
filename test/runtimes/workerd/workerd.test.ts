/**
 * The Web and Hono adapters' conformance scenarios with the apps inside workerd (miniflare),
 * driven from Node over workerd's own HTTP server on a loopback port: the Worker is
 * ./worker.ts, bundled from the sources as an application's bundler would. First with no
 * compatibility flag (the engine, the stores the apps use and the adapters on Web standards
 * alone), then with nodejs_compat, as most Workers are deployed, and with nodejs_als, the
 * flag the request-scoped accessor asks for.
 */
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAdapter, type AdapterTraits } from '../../conformance/adapter-suite.js';
import { describeMultiSession } from '../../conformance/multi-session-suite.js';
import { CookieJar, type TestServer } from '../../helpers/http.js';
import { COMPATIBILITY_DATE } from '../../helpers/miniflare.js';
import { bundleTestWorker } from './bundle.js';

const worker = await bundleTestWorker();

/** Never in workerd: a file system to fail on, a SQLite file. */
const noFiles: AdapterTraits['unavailable'] = {
  filesystem: 'workerd has no file system to fail on',
  sqlite: 'workerd has no SQLite file (D1 and Durable Objects are stores of their own)',
};

/**
 * The test Worker in a workerd of its own with these compatibility flags, for the tests
 * of the enclosing describe; `url()` is its address once started.
 */
function workerWith(compatibilityFlags: string[], requestContext: boolean): { url: (path: string) => string } {
  let miniflare: Miniflare | undefined;
  let base: URL | undefined;
  beforeAll(async () => {
    miniflare = new Miniflare({
      modules: worker.modules,
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags,
      // The Worker builds its apps as the suite expects: the accessor on or off.
      bindings: { REQUEST_CONTEXT: requestContext ? 'on' : 'off' },
      cf: false,
      // A free loopback port (miniflare's default too, said here because other tests share the machine).
      host: '127.0.0.1',
      port: 0,
    });
    base = await miniflare.ready;
  });
  afterAll(async () => {
    await miniflare?.dispose();
  });
  return {
    url: (path) => {
      if (!base) throw new Error(`workerd with [${compatibilityFlags.join(', ')}] did not start`);
      return new URL(path, base).href;
    },
  };
}

/** Every scenario of both adapters against a Worker with these flags, each app under /<adapter>/<profile>. */
function describeWorkerd(label: string, compatibilityFlags: string[], unavailable: AdapterTraits['unavailable']): void {
  describe(label, () => {
    const running = workerWith(compatibilityFlags, unavailable?.requestContext === undefined);
    const remote = (adapter: 'web' | 'hono') => async (_options: unknown, profile: string): Promise<TestServer> => ({
      url: running.url(`${adapter}/${profile}`),
      close: async () => {},
    });

    it('the apps are answered by workerd', async () => {
      expect(await (await fetch(running.url('runtime'))).text()).toBe('Cloudflare-Workers');
    });

    describeAdapter('Web standard (fetch handler) in workerd', remote('web'), { regeneratesInPlace: true, csrfFieldIn: ['multipart'], unavailable });
    describeMultiSession('Web standard (fetch handler) in workerd', remote('web'));
    describeAdapter('Hono in workerd', remote('hono'), { csrfFieldIn: ['multipart'], unavailable });
    describeMultiSession('Hono in workerd', remote('hono'));
  });
}

it('the Worker is Web standards only: no node: import in its bundle, no Buffer', () => {
  expect(worker.inputs.filter((input) => input.startsWith('node:'))).toEqual([]);
  expect(worker.inputs).toEqual(expect.arrayContaining(['src/engine/engine.ts', 'src/adapters/web.ts', 'src/adapters/hono.ts', 'src/crypto/web.ts']));
  expect(worker.modules.map((module) => module.contents).join('\n')).not.toMatch(/\bBuffer\b/);
});

describeWorkerd('workerd, no compatibility flag', [], {
  ...noFiles,
  requestContext: 'no AsyncLocalStorage in workerd without the nodejs_als or nodejs_compat compatibility flag',
});
describeWorkerd('workerd with nodejs_compat', ['nodejs_compat'], noFiles);

describe('workerd, no compatibility flag: the request-scoped accessor', () => {
  const running = workerWith([], false);
  it('an engine with requestContext: true says at start-up (its `ready`) that the runtime has no AsyncLocalStorage and which flag to add', async () => {
    const answer = await (await fetch(running.url('request-context'))).text();
    expect(answer).toMatch(/^SessionConfigError: sessionkit: requestContext: true needs AsyncLocalStorage, which this runtime does not offer/);
    expect(answer).toMatch(/"nodejs_als" or "nodejs_compat" compatibility flag/);
  });
});

describe('workerd with nodejs_als', () => {
  const running = workerWith(['nodejs_als'], true);
  it('an engine with requestContext: true is ready: node:async_hooks is imported, there being no `process`', async () => {
    expect(await (await fetch(running.url('request-context'))).text()).toBe('available');
  });
  for (const adapter of ['web', 'hono']) {
    it(`the request-scoped \`session\` accessor works inside the ${adapter} app's handlers (AsyncLocalStorage of node:async_hooks)`, async () => {
      const jar = new CookieJar();
      expect(await (await jar.fetch(running.url(`${adapter}/main/accessor`))).text()).toBe('accessor');
      expect(await (await jar.fetch(running.url(`${adapter}/main/get?k=via`))).text()).toBe('accessor');
    });
  }
});
