/**
 * The test Worker (./worker.ts) as workerd modules, bundled from the sources as every
 * Worker of the tests is (test/helpers/miniflare.ts: the Web Crypto `#crypto`, no `node:`
 * import possible).
 */
import { bundleWorker, type BundledWorker } from '../../helpers/miniflare.js';

export interface TestWorker {
  /** For miniflare's `modules`; the first is the Worker. */
  modules: BundledWorker['modules'];
  /** Every source file in the bundle, relative to the repository. */
  inputs: readonly string[];
}

export async function bundleTestWorker(): Promise<TestWorker> {
  const { code, inputs } = await bundleWorker('test/runtimes/workerd/worker.ts');
  return {
    modules: [
      // The Worker's own module exports only its handler; the bundle also exports the
      // stores the registry imports by name (see ./worker.ts), each under that name.
      { type: 'ESModule', path: 'worker.js', contents: "export { default } from './app.js';" },
      { type: 'ESModule', path: 'app.js', contents: code },
      { type: 'ESModule', path: 'sessionkit/stores/memory', contents: "export { MemoryStore, memoryStore } from '../../app.js';" },
    ],
    inputs,
  };
}
