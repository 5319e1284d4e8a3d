import { defineConfig } from 'vitest/config';
import { CountReporter } from './test/runtimes/count-reporter.js';
import base from './vitest.config.js';

// npm run test:workerd: Node drives the Web and Hono apps inside workerd (miniflare), with
// the line `workerd: N passed, N failed, N skipped` at the end.
export default defineConfig({
  resolve: base.resolve,
  test: { ...base.test, include: ['test/runtimes/workerd/workerd.test.ts', 'test/runtimes/workerd/locked-sessions.test.ts'], exclude: ['**/node_modules/**'], reporters: ['default', new CountReporter('workerd')] },
});
