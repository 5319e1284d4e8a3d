/**
 * The test Worker (./worker.ts) as workerd modules. The core's `#crypto` is its Web Crypto
 * implementation from the sources (the package's "imports" give workerd that one; the
 * sources, so that no stale build is tested), `sessionkit/<subpath>` the sources too.
 */
import { resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { entries } from '../../../tsup.config.js';

const fromSources: Plugin = {
  name: 'sessionkit-sources-web-crypto',
  setup(context) {
    context.onResolve({ filter: /^#crypto$/ }, () => ({ path: resolve('src/core/crypto/web.ts') }));
    context.onResolve({ filter: /^sessionkit\// }, ({ path }) => {
      const source = (entries as Record<string, string>)[path.slice('sessionkit/'.length)];
      return source ? { path: resolve(source) } : { errors: [{ text: `sessionkit has no export ${path}` }] };
    });
  },
};

export interface WorkerModule {
  type: 'ESModule';
  path: string;
  contents: string;
}

export interface TestWorker {
  /** For miniflare's `modules`; the first is the Worker. */
  modules: WorkerModule[];
  /** Every source file in the bundle, relative to the repository. */
  inputs: string[];
}

export async function bundleTestWorker(): Promise<TestWorker> {
  const result = await build({
    entryPoints: ['test/runtimes/workerd/worker.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    // Neutral: nothing is taken as a built-in, so a `node:` import anywhere fails the build.
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
    plugins: [fromSources],
  });
  return {
    modules: [
      // The Worker's own module exports only its handler; the bundle also exports the
      // stores the registry imports by name (see ./worker.ts), each under that name.
      { type: 'ESModule', path: 'worker.js', contents: "export { default } from './app.js';" },
      { type: 'ESModule', path: 'app.js', contents: result.outputFiles[0]!.text },
      { type: 'ESModule', path: 'sessionkit/stores/memory', contents: "export { MemoryStore, memoryStore } from '../../app.js';" },
    ],
    inputs: Object.keys(result.metafile.inputs),
  };
}
