import type * as NodeModule from 'node:module';
import { SessionConfigError } from '../core/errors.js';
import { nodeBuiltin } from '../core/node-builtin.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store.js';
import type { DatastoreStoreOptions } from '../stores/datastore/index.js';
import type { DynamoDBStoreOptions } from '../stores/dynamodb/index.js';
import type { FileSystemStoreOptions } from '../stores/filesystem/index.js';
import type { FirestoreStoreOptions } from '../stores/firestore/index.js';
import type { MemcachedStoreOptions } from '../stores/memcached/index.js';
import type { MemoryStoreOptions } from '../stores/memory.js';
import type { MongoDBStoreOptions } from '../stores/mongodb/index.js';
import type { RedisStoreOptions } from '../stores/redis/index.js';
import type { SqlStoreOptions } from '../stores/sql/index.js';
import type { SqliteStoreOptions } from '../stores/sqlite/index.js';

/**
 * Built-in stores by name, Flask-Session's SESSION_TYPE. Stores that log get the engine's
 * logger unless their options name another. Nothing of a store is loaded until it
 * is chosen: each entry imports its store through the package's own subpath export
 * (`sessionkit/stores/redis`), so an adapter that never names a store carries none of
 * their code, and a bundler sees each store as a module of its own.
 */
interface StoreTypeEntry<O> {
  /** The client library the store loads when no client of the user's is given. */
  library?: string;
  /** The store cannot work without a client of the user's. */
  needsClient?: boolean;
  /**
   * Throws a SessionConfigError for options the store cannot be built with, where that is
   * known without loading it: what the store's own (asynchronous) failure would say too
   * late, after start-up, in the words of `storeOptions`.
   */
  check?(options: O | undefined): void;
  create(options: O | undefined, logger: Logger): Promise<Store>;
}

const registry = {
  null: {
    create: async () => new (await importStore<typeof import('../stores/null.js')>('null')).NullStore(),
  },
  memory: {
    create: async (options) => (await importStore<typeof import('../stores/memory.js')>('memory')).memoryStore(options),
  } satisfies StoreTypeEntry<MemoryStoreOptions>,
  filesystem: {
    create: async (options, logger) => (await importStore<typeof import('../stores/filesystem/index.js')>('filesystem')).filesystemStore({ logger, ...options }),
  } satisfies StoreTypeEntry<FileSystemStoreOptions>,
  // No library: the store picks its runtime's driver (bun:sqlite, node:sqlite or better-sqlite3) and names what is missing.
  sqlite: {
    check: (options) => {
      if (options?.path === undefined && options?.database === undefined) {
        throw new SessionConfigError(
          "type 'sqlite' needs its database: set storeOptions.path (a file, such as './data/sessions.db') or storeOptions.database (an open better-sqlite3, node:sqlite or bun:sqlite database).",
        );
      }
    },
    create: async (options, logger) => (await importStore<typeof import('../stores/sqlite/index.js')>('sqlite')).sqliteStore({ logger, ...options }),
  } satisfies StoreTypeEntry<SqliteStoreOptions>,
  redis: {
    library: 'redis',
    create: async (options, logger) => (await importStore<typeof import('../stores/redis/index.js')>('redis')).redisStore({ logger, ...options }),
  } satisfies StoreTypeEntry<RedisStoreOptions>,
  memcached: {
    library: 'memcache-client',
    create: async (options, logger) => (await importStore<typeof import('../stores/memcached/index.js')>('memcached')).memcachedStore({ logger, ...options }),
  } satisfies StoreTypeEntry<MemcachedStoreOptions>,
  sql: {
    needsClient: true,
    create: async (options, logger) => (await importStore<typeof import('../stores/sql/index.js')>('sql')).sqlStore({ logger, ...options! }),
  } satisfies StoreTypeEntry<SqlStoreOptions>,
  dynamodb: {
    needsClient: true,
    create: async (options, logger) => (await importStore<typeof import('../stores/dynamodb/index.js')>('dynamodb')).dynamodbStore({ logger, ...options! }),
  } satisfies StoreTypeEntry<DynamoDBStoreOptions>,
  datastore: {
    needsClient: true,
    create: async (options, logger) => (await importStore<typeof import('../stores/datastore/index.js')>('datastore')).datastoreStore({ logger, ...options! }),
  } satisfies StoreTypeEntry<DatastoreStoreOptions>,
  firestore: {
    needsClient: true,
    create: async (options, logger) => (await importStore<typeof import('../stores/firestore/index.js')>('firestore')).firestoreStore({ logger, ...options! }),
  } satisfies StoreTypeEntry<FirestoreStoreOptions>,
  mongodb: {
    needsClient: true,
    create: async (options, logger) => (await importStore<typeof import('../stores/mongodb/index.js')>('mongodb')).mongodbStore({ logger, ...options! }),
  } satisfies StoreTypeEntry<MongoDBStoreOptions>,
};

export type StoreType = keyof typeof registry;
export type StoreTypeOptions =
  | MemoryStoreOptions
  | FileSystemStoreOptions
  | SqliteStoreOptions
  | RedisStoreOptions
  | MemcachedStoreOptions
  | SqlStoreOptions
  | DynamoDBStoreOptions
  | DatastoreStoreOptions
  | FirestoreStoreOptions
  | MongoDBStoreOptions;

export const STORE_TYPES = Object.keys(registry) as StoreType[];

/**
 * Backends the Flask-Session family names that sessionkit does not ship, and why: choosing one (by type
 * or by Flask-Session keys) fails at start-up with the reason and the stores that serve the
 * same need, never with a store nobody could test.
 */
export const NOT_SHIPPED: Readonly<Record<string, string>> = {
  elasticsearch:
    'sessionkit ships no Elasticsearch store: no Elasticsearch server can run where sessionkit is built and tested, and sessionkit ships no store it has not tested. ' +
    "For the same need (sessions in a server every process shares, with expiry), use type 'redis', 'sql' (PostgreSQL, MariaDB/MySQL), 'mongodb' or 'dynamodb'.",
};

export function isStoreType(name: string): name is StoreType {
  return Object.hasOwn(registry, name);
}

/**
 * Imports a store through the package's own subpath export. The specifier is built, not
 * written out, so that neither the type checker nor a bundler resolves it into this file's
 * bundle: the store stays a module of its own, loaded only when named. (A bundler that
 * follows it anyway, as webpack does with a template, makes every store a lazy chunk.)
 */
function importStore<M>(name: string): Promise<M> {
  return import(`sessionkit/stores/${name}`) as Promise<M>;
}

/**
 * Resolves a package as this module's require would; undefined where that cannot be done:
 * no node:module, or no file URL for this module (Workers, even with nodejs_compat).
 */
function resolverFromHere(): ((library: string) => string) | undefined {
  const here: unknown = import.meta.url;
  if (typeof here !== 'string') return undefined;
  return nodeBuiltin<typeof NodeModule>('node:module')?.createRequire(here).resolve;
}

/**
 * The store a type name stands for. Everything that can be checked without loading the
 * store fails here, at start-up: an unknown name, a missing client, a client library that
 * is not installed. The store itself arrives with the promise.
 */
export function createStoreByType(type: string, options: StoreTypeOptions | undefined, logger: Logger): Promise<Store> {
  if (!isStoreType(type)) {
    const reason = Object.hasOwn(NOT_SHIPPED, type.toLowerCase()) ? NOT_SHIPPED[type.toLowerCase()] : undefined;
    if (reason !== undefined) throw new SessionConfigError(`type '${type}': ${reason}`);
    throw new SessionConfigError(`unknown store type "${type}". Choose one of: ${STORE_TYPES.join(', ')}.`);
  }
  const entry: StoreTypeEntry<StoreTypeOptions> = registry[type];
  const hasClient = options !== undefined && 'client' in options && Boolean(options.client);
  if (entry.needsClient && !hasClient) {
    throw new SessionConfigError(`type '${type}' needs your database client: pass it as storeOptions.client.`);
  }
  entry.check?.(options);
  if (entry.library && !hasClient && !isInstalled(entry.library)) {
    throw new SessionConfigError(`the ${type} store needs ${entry.library}. Install it with: npm install ${entry.library}`);
  }
  if (type === 'null') {
    logger.warn(
      "no session store configured: sessions read as empty and the first write fails. Set `store` or `type` (e.g. type: 'sqlite').",
    );
  }
  return entry.create(options, logger);
}

function isInstalled(library: string): boolean {
  // Without node:module nothing can be checked ahead: the store's own import then names what is missing.
  const resolve = resolverFromHere();
  if (!resolve) return true;
  try {
    resolve(library);
    return true;
  } catch {
    return false;
  }
}
