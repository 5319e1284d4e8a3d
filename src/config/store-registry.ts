import { SessionConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../core/store.js';
import { dynamodbStore, type DynamoDBStoreOptions } from '../stores/dynamodb/index.js';
import { filesystemStore, type FileSystemStoreOptions } from '../stores/filesystem.js';
import { memcachedStore, type MemcachedStoreOptions } from '../stores/memcached/index.js';
import { memoryStore, type MemoryStoreOptions } from '../stores/memory.js';
import { nullStore } from '../stores/null.js';
import { redisStore, type RedisStoreOptions } from '../stores/redis.js';
import { sqlStore, type SqlStoreOptions } from '../stores/sql/index.js';
import { sqliteStore, type SqliteStoreOptions } from '../stores/sqlite.js';

/**
 * Built-in stores by name, the seeds' SESSION_TYPE. These modules load no client
 * library at import time: a store that needs one (better-sqlite3, …) requires it when
 * constructed and, if it is missing, fails then with the `npm install` line to run.
 * Stores that log get the engine's logger unless their options name another.
 */
const factories = {
  null: () => nullStore(),
  memory: (options?: MemoryStoreOptions) => memoryStore(options),
  filesystem: (options?: FileSystemStoreOptions) => filesystemStore(options),
  sqlite: (options?: SqliteStoreOptions) => sqliteStore(options),
  redis: (options: RedisStoreOptions | undefined, logger: Logger) => redisStore({ logger, ...options }),
  memcached: (options: MemcachedStoreOptions | undefined, logger: Logger) => memcachedStore({ logger, ...options }),
  sql: (options: SqlStoreOptions, logger: Logger) => sqlStore({ logger, ...options }),
  dynamodb: (options: DynamoDBStoreOptions, logger: Logger) => dynamodbStore({ logger, ...options }),
} satisfies Record<string, (options: never, logger: Logger) => Store>;

export type StoreType = keyof typeof factories;
export type StoreTypeOptions =
  | MemoryStoreOptions
  | FileSystemStoreOptions
  | SqliteStoreOptions
  | RedisStoreOptions
  | MemcachedStoreOptions
  | SqlStoreOptions
  | DynamoDBStoreOptions;

export const STORE_TYPES = Object.keys(factories) as StoreType[];

/** Stores that cannot work without a client of the user's. */
const NEEDS_CLIENT: ReadonlySet<string> = new Set(['sql', 'dynamodb']);

export function isStoreType(name: string): name is StoreType {
  return Object.hasOwn(factories, name);
}

export function createStoreByType(type: string, options: StoreTypeOptions | undefined, logger: Logger): Store {
  if (!isStoreType(type)) {
    throw new SessionConfigError(`unknown store type "${type}". Choose one of: ${STORE_TYPES.join(', ')}.`);
  }
  if (NEEDS_CLIENT.has(type) && !(options && 'client' in options && options.client)) {
    throw new SessionConfigError(`type '${type}' needs your database client: pass it as storeOptions.client.`);
  }
  if (type === 'null') {
    logger.warn(
      "no session store configured: sessions read as empty and the first write fails. Set `store` or `type` (e.g. type: 'sqlite').",
    );
  }
  return (factories[type] as (options: StoreTypeOptions | undefined, logger: Logger) => Store)(options, logger);
}
