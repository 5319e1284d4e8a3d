import { parseDuration } from '../../core/duration.js';
import { SessionConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../core/store.js';

export interface CachingStoreOptions {
  /**
   * The fast store in front: memoryStore() for one process, redisStore() (or any store with
   * `create` and `setIf`) shared by every process that shares `store`.
   */
  cache: Store;
  /** The durable store behind it, whose records and versions are the truth: SQL, SQLite, DynamoDB… */
  store: Store;
  /**
   * Longest a record stays in the cache without a read of the durable store: what a write
   * the cache did not see (another process on a cache of its own) can stay unseen at most.
   * Seconds or a string such as '5m'. Default '5m'.
   */
  ttl?: number | string;
  /**
   * How long a key the durable store did not have is remembered as absent, so that made-up
   * ids do not each reach the database: also the longest a session created by a process
   * with another cache can read as absent here. 0 turns it off. Default '5s'.
   */
  missTtl?: number | string;
  /** Where a cache value that is not ours is reported. Default: console. */
  logger?: Pick<Logger, 'warn'>;
}

/** The options checked: durations in milliseconds. */
export interface CachingSettings {
  readonly ttlMs: number;
  readonly missTtlMs: number;
}

const CACHE_NEEDS = ['create', 'setIf'] as const;

/** Checks the options; a misconfiguration throws a SessionConfigError that says what to change. */
export function cachingSettings(options: CachingStoreOptions): CachingSettings {
  const { cache, store } = options;
  if (!isStore(cache) || !isStore(store)) {
    throw new SessionConfigError('cachingStore: pass two stores, `cache` (e.g. memoryStore()) and `store` (the durable one, e.g. sqlStore()).');
  }
  if (cache === store) throw new SessionConfigError('cachingStore: `cache` and `store` are the same store; pass a separate cache (e.g. memoryStore()).');
  const missing = CACHE_NEEDS.filter((capability) => typeof cache[capability] !== 'function');
  if (missing.length > 0) {
    throw new SessionConfigError(
      `cachingStore: the cache (${cache.name}) has no ${missing.join(' or ')}, which filling it safely needs; use memoryStore() or redisStore() as the cache.`,
    );
  }
  const ttlMs = durationOption('ttl', options.ttl ?? '5m');
  if (ttlMs < 1) throw new SessionConfigError('cachingStore: ttl must be more than 0; to cache nothing, use the durable store alone.');
  return { ttlMs, missTtlMs: durationOption('missTtl', options.missTtl ?? '5s') };
}

function durationOption(name: string, value: number | string): number {
  try {
    return parseDuration(value, `cachingStore: ${name}`);
  } catch (error) {
    throw new SessionConfigError((error as Error).message);
  }
}

function isStore(value: unknown): value is Store {
  return typeof value === 'object' && value !== null && typeof (value as Store).get === 'function' && typeof (value as Store).set === 'function';
}
