import { defineConfig } from 'vitest/config';
import { runtimeName } from './test/runtimes/runtime.js';
import { CountReporter } from './test/runtimes/count-reporter.js';
import base from './vitest.config.js';

// The Web and Hono adapters' scenarios, in-process under Bun and Deno (npm run test:bun,
// test:deno), with the line `<Runtime>: N passed, N failed, N skipped` at the end. Not
// merged with mergeConfig: that would add to base's include instead of replacing it.
export default defineConfig({
  resolve: base.resolve,
  test: {
    ...base.test,
    include: ['test/adapters/web.test.ts', 'test/adapters/hono.test.ts', 'test/runtimes/runtime.test.ts'],
    reporters: ['default', new CountReporter(runtimeName)],
  },
});
