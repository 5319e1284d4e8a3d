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
  'stores/filesystem': 'src/stores/filesystem/index.ts',
  'stores/sqlite': 'src/stores/sqlite/index.ts',
  'stores/sql': 'src/stores/sql/index.ts',
  'stores/dynamodb': 'src/stores/dynamodb/index.ts',
  'stores/datastore': 'src/stores/datastore/index.ts',
  'stores/firestore': 'src/stores/firestore/index.ts',
  'stores/deno-kv': 'src/stores/deno-kv/index.ts',
  'stores/mongodb': 'src/stores/mongodb/index.ts',
  'stores/redis': 'src/stores/redis/index.ts',
  'stores/memcached': 'src/stores/memcached/index.ts',
  'stores/cookie': 'src/stores/cookie/index.ts',
  'stores/d1': 'src/stores/d1/index.ts',
  'stores/durable-object': 'src/stores/durable-object/index.ts',
  'stores/workers-kv': 'src/stores/workers-kv.ts',
  'stores/caching': 'src/stores/caching/index.ts',
  connect: 'src/connect/index.ts',
  otel: 'src/otel/index.ts',
};

/** Programs, not subpath exports: the `bin` of package.json (dist/cli.js). */
export const bins = {
  cli: 'src/cli/main.ts',
};

/**
 * The two implementations of the core's crypto, not subpath exports either: every other
 * file imports `#crypto`, which the package's "imports" conditions resolve to one of them
 * at run time (node:crypto on Node, Bun and Deno; Web Crypto elsewhere).
 */
export const cryptoImplementations = {
  'crypto/node': 'src/crypto/node.ts',
  'crypto/web': 'src/crypto/web.ts',
};

export default defineConfig({
  entry: { ...entries, ...bins, ...cryptoImplementations },
  format: ['esm', 'cjs'],
  dts: {
    // Every declaration file (entries and chunks) loads the package root. SessionData is
    // declared in a chunk and exported by the root; an application's
    // `declare module 'sessionkit' { interface SessionData … }` merges into it only if the
    // root is part of its program, and an augmentation alone does not load a module: an
    // application that imports only 'sessionkit/express' would get TS2664 ("module
    // 'sessionkit' cannot be found") and untyped fields. The package name resolves to the
    // package itself (self-reference through the exports map, or node_modules lookup).
    banner: "import type {} from 'sessionkit';",
  },
  clean: true,
  target: 'node20',
  sourcemap: true,
  splitting: true,
  // The CommonJS build goes through rollup, which keeps class names. Without it, tsup turns
  // the split ESM chunks into CommonJS with sucrase, which rewrites every class with fields
  // as `_class = class …`: error classes were named `_class` in crash logs and
  // `err.constructor.name` (test/package/package.test.ts checks every exported error).
  treeshake: true,
  // import.meta.url in the CommonJS build, for the lazy createRequire of optional libraries.
  shims: true,
  // Keep the `node:` in built-in imports: Deno and Workers (nodejs_compat) know them by that name.
  removeNodeProtocol: false,
  // Peer dependencies stay outside the bundle and are loaded only by the part that needs them.
  // sessionkit itself: the store registry imports each store through its own subpath export.
  external: ['#crypto', /^sessionkit\//, 'better-sqlite3', 'express', 'fastify', 'koa', 'hono', 'pg', 'mysql2', 'kysely', '@aws-sdk/client-dynamodb', '@google-cloud/datastore', '@google-cloud/firestore', 'mongodb', 'redis', 'ioredis', 'memcache-client', 'express-session', '@opentelemetry/api'],
});
