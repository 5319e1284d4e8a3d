/**
 * Every optional peer's range starts at a version the tests run: the devDependency alias that
 * installs it (package.json) is exactly the range's lower bound, so a range cannot be widened
 * (or an alias moved) without the other. Issue 24: `>=4.18` refused Express 4.16.4 apps that
 * work, while the tests ran only Express 4.22.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Manifest {
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as Manifest;

/** The alias whose suites run each peer's oldest version (see test/aliases.d.ts). */
const OLDEST_ALIAS: Record<string, string> = {
  express: 'express4',
  fastify: 'fastify4',
  koa: 'koa2',
  hono: 'hono-oldest',
  ioredis: 'ioredis-oldest',
  redis: 'redis-oldest',
  pg: 'pg-oldest',
  mysql2: 'mysql2-oldest',
  kysely: 'kysely-oldest',
  'memcache-client': 'memcache-client-oldest',
  'better-sqlite3': 'better-sqlite3-oldest',
  'express-session': 'express-session-oldest',
};
/**
 * Peers whose oldest version is not run: the store loads parts of the library itself, so an
 * aliased old client beside the current library would not test what an application runs
 * (dynamodb, firestore, datastore), or the store's tests have no conformance run on the
 * stand-in server to point at another client (mongodb on CongoDB), or the tests drive the
 * peer through the SDK, which brings its own (@opentelemetry/api, for sessionkit/otel).
 */
const NOT_TESTED_AT_OLDEST = ['@aws-sdk/client-dynamodb', '@google-cloud/datastore', '@google-cloud/firestore', 'mongodb', '@opentelemetry/api'];

/** `>=4.16.4` → `4.16.4`, `>=4` → `4.0.0`; anything but a plain lower bound is refused. */
function lowerBound(range: string): string {
  const match = /^>=(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range);
  if (!match) throw new Error(`peer range ${range} is not of the form >=X.Y.Z`);
  return [match[1], match[2] ?? '0', match[3] ?? '0'].join('.');
}

describe('optional peer ranges', () => {
  it('every peer is either run at its oldest version or listed as not', () => {
    const peers = Object.keys(manifest.peerDependencies).sort();
    expect(peers).toEqual([...Object.keys(OLDEST_ALIAS), ...NOT_TESTED_AT_OLDEST].sort());
  });

  for (const [peer, alias] of Object.entries(OLDEST_ALIAS)) {
    it(`${peer}: the range starts at the version its alias ${alias} installs`, () => {
      const bound = lowerBound(manifest.peerDependencies[peer]!);
      expect(manifest.devDependencies[alias]).toBe(`npm:${peer}@${bound}`);
    });
  }
});
