/**
 * The `lock` option inside workerd (miniflare), on the two stores a Worker has with
 * compare-and-set, D1 and Durable Objects (four shards), through the Hono and Web
 * adapters: the locked-sessions suite's scenarios against ./locked-worker.ts, driven from
 * Node over workerd's own HTTP server. Apart from the store suites, whose apps run in Node
 * and reach the bindings through miniflare's proxies: there, what workerd does to a
 * request's promises once its response is out (it cancels them) never happens.
 */
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe } from 'vitest';
import { LOCKED_APPS, type LockedApps } from '../../conformance/locked-session-routes.js';
import { describeLockedSessionScenarios } from '../../conformance/locked-sessions-suite.js';
import { bundleWorker, startMiniflare } from '../../helpers/miniflare.js';

let miniflare: Miniflare | undefined;
let base: URL | undefined;
beforeAll(async () => {
  const { code } = await bundleWorker('test/runtimes/workerd/locked-worker.ts');
  miniflare = await startMiniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: code }],
    d1Databases: ['DB'],
    durableObjects: { SESSIONS: { className: 'SessionDurableObject', useSQLite: true } },
    // A free loopback port (miniflare's default too, said here because other tests share the machine).
    host: '127.0.0.1',
    port: 0,
  });
  base = await miniflare.ready;
}, 60_000);
afterAll(async () => {
  await miniflare?.dispose();
});

for (const adapter of ['hono', 'web']) {
  for (const store of ['d1', 'durable-object']) {
    describe(`lock: requests of one session one after another: ${adapter} adapter and ${store} store in workerd`, () => {
      describeLockedSessionScenarios(() => {
        if (!base) throw new Error('workerd did not start');
        const url = (app: string) => new URL(`/${adapter}/${store}/${app}`, base).href;
        return Object.fromEntries(Object.keys(LOCKED_APPS).map((app) => [app, url(app)])) as LockedApps;
      });
    });
  }
}
