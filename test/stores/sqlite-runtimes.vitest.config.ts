import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import { CountReporter } from '../runtimes/count-reporter.js';

// npm run test:bun-sqlite and test:deno-sqlite: the SQLite store's suites inside Bun (on
// bun:sqlite, with the example) or Deno (on node:sqlite), as SESSIONKIT_RUNTIME says;
// runtime.test.ts checks that runtime, not a Node behind it, runs them. Each run ends with
// the plain `BunSQLite: N passed, N failed, N skipped` line (DenoSQLite). Not merged with
// mergeConfig: that would append to base's include.
const runtimes = {
  Bun: ['test/stores/bun-sqlite.test.ts', 'test/stores/bun-sqlite-example.test.ts'],
  Deno: ['test/stores/node-sqlite.test.ts'],
};
const runtime = process.env.SESSIONKIT_RUNTIME;
if (runtime !== 'Bun' && runtime !== 'Deno') throw new Error('Set SESSIONKIT_RUNTIME to Bun or Deno (npm run test:bun-sqlite, test:deno-sqlite).');

export default defineConfig({
  resolve: base.resolve,
  test: {
    ...base.test,
    include: [...runtimes[runtime], 'test/runtimes/runtime.test.ts'],
    reporters: ['default', new CountReporter(`${runtime}SQLite`)],
  },
});
