import { SessionConfigError } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import { sweepBatchSizeOption, timeoutOption } from '../shared/options.js';
import type { KvDatabase, KvKey } from './kv.js';

export interface DenoKvStoreOptions {
  /**
   * Your database: `await Deno.openKv()` (or a path, or a KV Connect URL) in Deno and on Deno
   * Deploy, `openKv(path)` from `@deno/kv` in Node. Borrowed: the store never closes it.
   */
  kv: KvDatabase;
  /** The key prefix every session lives under, as KV key parts. Default ['sessions']. */
  prefix?: readonly string[];
  /** Entries deleteExpired() and countExpired() list per round. Default 500. */
  sweepBatchSize?: number;
  /** Milliseconds one operation may take (a remote database over KV Connect may stall). Default 5000. */
  timeout?: number;
  /** Where the store's warnings go. Default: console, prefixed '[sessionkit]'. */
  logger?: Pick<Logger, 'warn'>;
}

export interface ResolvedOptions {
  readonly kv: KvDatabase;
  readonly prefix: KvKey;
  readonly sweepBatchSize: number;
  readonly timeout: number;
  readonly logger: Pick<Logger, 'warn'>;
}

const METHODS = ['get', 'set', 'delete', 'atomic', 'list'] as const;

/** The options with their defaults, checked: a configuration that cannot work fails here, at start-up. */
export function resolveOptions(options: DenoKvStoreOptions): ResolvedOptions {
  const kv = options?.kv as Partial<Record<(typeof METHODS)[number], unknown>> | undefined;
  if (!kv || METHODS.some((method) => typeof kv[method] !== 'function')) {
    throw new SessionConfigError(
      "denoKvStore: pass `kv`, an open Deno KV database: `await Deno.openKv('sessions.db')` in Deno (run with --unstable-kv), or `await openKv('sessions.db')` from @deno/kv in Node.",
    );
  }
  const prefix: unknown = options.prefix ?? ['sessions'];
  if (!Array.isArray(prefix) || !prefix.every((part): part is string => typeof part === 'string')) {
    throw new SessionConfigError(`denoKvStore: prefix must be an array of strings (KV key parts), e.g. ['sessions'], got ${JSON.stringify(prefix)}.`);
  }
  const sweepBatchSize = sweepBatchSizeOption('denoKvStore', options.sweepBatchSize, 1000);
  const timeout = timeoutOption('denoKvStore', options.timeout);
  return { kv: options.kv, prefix: [...prefix], sweepBatchSize, timeout, logger: options.logger ?? consoleLogger };
}
