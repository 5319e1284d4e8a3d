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

export async function startMiniflare(options: Partial<MiniflareOptions>): Promise<Miniflare> {
  const mf = new Miniflare({ modules: true, script: EMPTY_WORKER, compatibilityDate: COMPATIBILITY_DATE, cf: false, ...options } as MiniflareOptions);
  await mf.ready;
  return mf;
}

/** `sessionkit/<subpath>` → its source file, from the entries tsup builds the exports from. */
const fromSources: Plugin = {
  name: 'sessionkit-sources',
  setup(context) {
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
  /** Every module in it (paths relative to the repository), and what was left outside. */
  readonly inputs: readonly string[];
}

/**
 * `entry` and everything it imports in one ES module for workerd, resolved with the
 * `workerd` and `worker` conditions. `external`: modules workerd provides itself
 * (`node:*` under nodejs_compat); anything else that does not resolve fails the build.
 */
export async function bundleWorker(entry: string, external: readonly string[] = []): Promise<BundledWorker> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: [...external],
    metafile: true,
    logLevel: 'silent',
    plugins: [fromSources],
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

/**
 * The bundle of a store's entry with nothing left outside: a `node:` import anywhere in its
 * graph fails the build (no platform provides it), and the code is returned for the
 * caller to check that no Buffer is used either.
 */
export async function webOnlyBundle(entry: string): Promise<BundledWorker> {
  return bundleWorker(entry);
}
