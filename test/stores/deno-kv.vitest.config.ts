import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import { CountReporter } from '../runtimes/count-reporter.js';

// npm run test:deno-kv: the Deno KV store's suites inside Deno itself, on Deno.openKv
// (runtime.test.ts checks that Deno, not a Node behind it, runs them), ending with the plain
// `DenoKV: N passed, N failed, N skipped` line. Not merged with mergeConfig: that would append to base's include.
export default defineConfig({
  resolve: base.resolve,
  test: {
    ...base.test,
    include: ['test/stores/deno-kv.test.ts', 'test/runtimes/runtime.test.ts'],
    reporters: ['default', new CountReporter('DenoKV')],
  },
});
