/**
 * `describeWithServer`: a describe block that owns one throwaway server.
 *
 *   import { describeWithServer } from './servers/suite.js';
 *   import { REDIS_REQUIRES, startRedis } from './servers/redis.js';
 *
 *   describeWithServer('redis store', { requires: REDIS_REQUIRES, start: () => startRedis() }, (redis) => {
 *     it('works', async () => {
 *       const { url } = redis(); // the server started in beforeAll
 *     });
 *   });
 *
 * Missing requirement: the block becomes `describe.skip` and a loud "SKIPPED ..." line with the
 * install command goes to stderr; with SESSIONKIT_REQUIRE_SERVICES=1 collecting the file throws
 * instead (see checkRequirements in ./require-binary.ts).
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { checkRequirements, type Requirement } from './require-binary.js';

export interface ServerSetup<S extends { stop(): Promise<void> }> {
  requires: readonly Requirement[];
  start: () => Promise<S>;
}

/**
 * A describe block that owns one server: checks the requirements (see checkRequirements),
 * starts the server in beforeAll and stops it in afterAll. `body` gets a getter for the server
 * (call it inside hooks/tests, not while collecting).
 */
export function describeWithServer<S extends { stop(): Promise<void> }>(
  suite: string,
  setup: ServerSetup<S>,
  body: (server: () => S) => void,
): void {
  const availability = checkRequirements(suite, setup.requires);
  let server: S | undefined;
  const get = (): S => {
    if (!server) throw new Error(`${suite}: the server is not started (call it inside a test or hook)`);
    return server;
  };
  if (!availability.available) {
    describe.skip(`${suite} (SKIPPED: ${availability.reason})`, () => body(get));
    return;
  }
  describe(suite, () => {
    beforeAll(async () => {
      server = await setup.start();
    });
    afterAll(async () => {
      await server?.stop();
      server = undefined;
    });
    body(get);
  });
}
