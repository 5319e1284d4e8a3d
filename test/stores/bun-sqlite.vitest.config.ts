import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import { CountReporter } from '../runtimes/count-reporter.js';

// npm run test:bun-sqlite: the SQLite store's suites inside Bun itself, on bun:sqlite
// (runtime.test.ts checks that Bun, not a Node behind it, runs them), ending with the plain
// `BunSQLite: N passed, N failed, N skipped` line. Not merged with mergeConfig: that would append to base's include.
export default defineConfig({
  resolve: base.resolve,
  test: {
    ...base.test,
    include: ['test/stores/bun-sqlite.test.ts', 'test/stores/bun-sqlite-example.test.ts', 'test/runtimes/runtime.test.ts'],
    reporters: ['default', new CountReporter('BunSQLite')],
  },
});
