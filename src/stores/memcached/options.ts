import type { Logger } from '../../core/logger.js';

/** Options of memcachedStore(); see the store's module comment for what each costs. */
export interface MemcachedStoreOptions {
  /** Your `MemcacheClient` for one server (SESSION_MEMCACHED). Borrowed: never shut down. */
  client?: object;
  /**
   * 'host:port', or several (an array or a comma-separated string), when the store makes
   * its own clients (SESSION_MEMCACHED as a string). Default '127.0.0.1:11211'.
   */
  servers?: string | readonly string[];
  /** Milliseconds one command may take. Default DEFAULT_TIMEOUT_MS (5000). */
  timeout?: number;
  /**
   * Largest session in bytes (the serialized data, without the store's 16-byte header).
   * Default 1,048,240: memcached's default 1 MiB item limit minus the header and the
   * server's own overhead for the longest key. Raise it with the server's `-I`.
   */
  maxValueBytes?: number;
  /** Where the notice about the default server goes. Default: console. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}
