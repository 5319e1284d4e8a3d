/**
 * workerd for the tests, through miniflare, from Node vitest: real D1, KV and Durable
 * Object bindings (miniflare's proxies of them in Node), and Workers bundled with esbuild
 * from the sources, as an application's bundler would build them.
 */
import { resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { afterAll } from 'vitest';
import { entries } from '../../tsup.config.js';

// No cf.json download and no telemetry: this machine has no way out, and tests must not call home.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';

/** The compatibility date of every test Worker: one within the bundled workerd's range. */
export const COMPATIBILITY_DATE = '2025-09-01';

/** A Worker that only answers: for tests that need bindings, not code of their own. */
export const EMPTY_WORKER = 'export default { fetch: () => new Response("sessionkit test worker") };';

/**
 * One Miniflare for the test file, started on first use and disposed after the file's
 * tests (every describe of the file shares its bindings: keys are unique per test).
 */
export function sharedMiniflare(options: Partial<MiniflareOptions>): () => Promise<Miniflare> {
  let started: Promise<Miniflare> | undefined;
  afterAll(async () => {
    await (await started)?.dispose();
  });
  return () => (started ??= startMiniflare(options));
}

/** A Miniflare with `options`: their `script` (an ES module) or `modules`, else the empty Worker. */
export async function startMiniflare(options: Partial<MiniflareOptions>): Promise<Miniflare> {
  const worker = Array.isArray((options as { modules?: unknown }).modules) ? {} : { modules: true, script: EMPTY_WORKER };
  const mf = new Miniflare({ compatibilityDate: COMPATIBILITY_DATE, cf: false, ...worker, ...options } as MiniflareOptions);
  await mf.ready;
  return mf;
}

/**
 * `sessionkit/<subpath>` → its source file, from the entries tsup builds the exports from;
 * the core's `#crypto` → its Web Crypto implementation, the one the package's "imports"
 * give workerd (the sources, so that no stale build is tested).
 */
const fromSources: Plugin = {
  name: 'sessionkit-sources',
  setup(context) {
    context.onResolve({ filter: /^#crypto$/ }, () => ({ path: resolve('src/crypto/web.ts') }));
    context.onResolve({ filter: /^sessionkit(\/|$)/ }, ({ path }) => {
      const subpath = path === 'sessionkit' ? 'index' : path.slice('sessionkit/'.length);
      const source = (entries as Record<string, string>)[subpath];
      return source ? { path: resolve(source) } : { errors: [{ text: `sessionkit has no export ${path}` }] };
    });
  },
};

export interface BundledWorker {
  /** The bundle, one ES module. */
  readonly code: string;
  /**
   * The same as miniflare's `modules`. Given as a list, miniflare does not scan the code for
   * imports: the core's store registry imports `sessionkit/stores/${type}` by name, which
   * the scan refuses (ERR_MODULE_DYNAMIC_SPEC) though a store passed as an object never
   * takes that path.
   */
  readonly modules: { type: 'ESModule'; path: string; contents: string }[];
  /** Every module in it (paths relative to the repository), and what was left outside. */
  readonly inputs: readonly string[];
}

/**
 * `entry` and everything it imports in one ES module for workerd, resolved with the
 * `workerd` and `worker` conditions. Platform neutral: nothing is taken as a built-in, so
 * a `node:` import anywhere in the graph fails the build.
 */
export async function bundleWorker(entry: string): Promise<BundledWorker> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
    plugins: [fromSources],
  });
  const code = result.outputFiles[0]!.text;
  return { code, modules: [{ type: 'ESModule', path: 'worker.js', contents: code }], inputs: Object.keys(result.metafile.inputs) };
}

