import { expect, it } from 'vitest';
import { runtimeName } from './runtime.js';

// npm run test:bun and test:deno say which runtime they mean (SESSIONKIT_RUNTIME): the tests
// must run in it, not in a Node that the test runner forked behind its back. Else: Node.
const expected = process.env.SESSIONKIT_RUNTIME ?? 'Node';

it(`the tests run in ${expected}`, () => {
  expect(runtimeName).toBe(expected);
  const versions = process.versions as Record<string, string | undefined>;
  expect(versions[runtimeName.toLowerCase()]).toMatch(/^\d+\.\d+/);
});
