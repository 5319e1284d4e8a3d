import { defineConfig } from 'tsup';

/** One entry per subpath export; each is built as ESM and CommonJS with declarations. */
export const entries = {
  index: 'src/index.ts',
  express: 'src/adapters/express.ts',
  fastify: 'src/adapters/fastify.ts',
  koa: 'src/adapters/koa.ts',
  hono: 'src/adapters/hono.ts',
  web: 'src/adapters/web.ts',
  node: 'src/adapters/node.ts',
  'stores/memory': 'src/stores/memory.ts',
  'stores/null': 'src/stores/null.ts',
  'stores/filesystem': 'src/stores/filesystem.ts',
  'stores/sqlite': 'src/stores/sqlite.ts',
  'stores/sql': 'src/stores/sql/index.ts',
  'stores/dynamodb': 'src/stores/dynamodb/index.ts',
  'stores/redis': 'src/stores/redis.ts',
  'stores/memcached': 'src/stores/memcached/index.ts',
  'stores/cookie': 'src/stores/cookie/index.ts',
};

export default defineConfig({
  entry: entries,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
  splitting: true,
  // import.meta.url in the CommonJS build, for the lazy createRequire of optional libraries.
  shims: true,
  // Peer dependencies stay outside the bundle and are loaded only by the part that needs them.
  // sessionkit itself: the store registry imports each store through its own subpath export.
  external: [/^sessionkit\//, 'better-sqlite3', 'express', 'fastify', 'koa', 'hono', 'pg', 'mysql2', 'kysely', '@aws-sdk/client-dynamodb', 'redis', 'ioredis', 'memcache-client'],
});
