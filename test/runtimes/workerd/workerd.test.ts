/**
 * The Web and Hono adapters' conformance scenarios with the apps inside workerd (miniflare),
 * driven from Node over workerd's own HTTP server on a loopback port: the Worker is
 * ./worker.ts, bundled from the sources as an application's bundler would. No compatibility
 * flag: the engine, the stores the apps use and the adapters run on Web standards alone.
 */
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAdapter, type AdapterTraits } from '../../conformance/adapter-suite.js';
import { describeMultiSession } from '../../conformance/multi-session-suite.js';
import { CookieJar, type TestServer } from '../../helpers/http.js';
import { COMPATIBILITY_DATE } from '../../helpers/miniflare.js';
import { bundleTestWorker, type TestWorker } from './bundle.js';

/** What workerd without compatibility flags does not have; the worker is told too (REQUEST_CONTEXT). */
const unavailable: AdapterTraits['unavailable'] = {
  filesystem: 'workerd has no file system to fail on',
  sqlite: 'workerd has no SQLite file (D1 and Durable Objects are stores of their own)',
  requestContext: 'no AsyncLocalStorage in workerd without the nodejs_als or nodejs_compat compatibility flag',
};

interface StartedWorker {
  base: URL;
  dispose(): Promise<void>;
}

/** The test Worker in a workerd of its own, with these compatibility flags. */
async function startWorker(compatibilityFlags: string[], requestContext: 'on' | 'off'): Promise<StartedWorker> {
  const miniflare = new Miniflare({
    modules: worker.modules,
    modulesRoot: '/',
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags,
    bindings: { REQUEST_CONTEXT: requestContext },
    cf: false,
  });
  return { base: await miniflare.ready, dispose: () => miniflare.dispose() };
}

let worker: TestWorker;
let base: URL;
let plain: StartedWorker | undefined;
beforeAll(async () => {
  worker = await bundleTestWorker();
  plain = await startWorker([], 'off');
  base = plain.base;
});
afterAll(async () => {
  await plain?.dispose();
});

/** An app of the Worker, by adapter and profile name; workerd lives as long as the file. */
const remote = (adapter: 'web' | 'hono') => async (_options: unknown, profile: string): Promise<TestServer> => ({
  url: new URL(`${adapter}/${profile}`, base).href,
  close: async () => {},
});

describe('the test Worker', () => {
  it('is answered by workerd', async () => {
    expect(await (await fetch(new URL('runtime', base))).text()).toBe('Cloudflare-Workers');
  });

  it('is Web standards only: no node: import in its bundle, no Buffer', () => {
    expect(worker.inputs.filter((input) => input.startsWith('node:'))).toEqual([]);
    expect(worker.inputs).toEqual(expect.arrayContaining(['src/core/engine.ts', 'src/adapters/web.ts', 'src/adapters/hono.ts', 'src/core/crypto/web.ts']));
    const code = worker.modules.map((module) => module.contents).join('\n');
    expect(code).not.toMatch(/\bBuffer\b/);
  });
});

describeAdapter('Web standard (fetch handler) in workerd', remote('web'), { regeneratesInPlace: true, unavailable });
describeMultiSession('Web standard (fetch handler) in workerd', remote('web'));
describeAdapter('Hono in workerd', remote('hono'), { unavailable });
describeMultiSession('Hono in workerd', remote('hono'));

describe('workerd with the nodejs_als compatibility flag', () => {
  let als: StartedWorker | undefined;
  beforeAll(async () => {
    als = await startWorker(['nodejs_als'], 'on');
  });
  afterAll(async () => {
    await als?.dispose();
  });

  for (const adapter of ['web', 'hono']) {
    it(`the request-scoped \`session\` accessor works inside the ${adapter} app's handlers (AsyncLocalStorage from node:async_hooks)`, async () => {
      const jar = new CookieJar();
      const app = new URL(`${adapter}/main/`, als!.base);
      expect(await (await jar.fetch(new URL('accessor', app).href)).text()).toBe('accessor');
      expect(await (await jar.fetch(new URL('get?k=via', app).href)).text()).toBe('accessor');
    });
  }
});
