import type { Logger } from './logger.js';
import { keyForMessages } from './key-name.js';

/** The store that found a value not its own: its name and where it warns. */
export interface ForeignValueSource {
  readonly logger: Pick<Logger, 'warn'>;
  readonly storeName: string;
}

/**
 * The rule for a value a store finds under a session's key but cannot read as a session
 * (a Redis list another application pushed under the same prefix, a memcached value
 * without our header, a truncated file, an item without our attributes): it reads as no
 * session, so the request gets a fresh one instead of failing on every request for as
 * long as that cookie lives, and the store says so once per read, naming the key (by its
 * prefix and the id's handle, never the id) and what it found there. The value itself is left alone where it may belong to someone else.
 */
export function foreignValue(store: ForeignValueSource, key: string, found: string, remedy: string): undefined {
  store.logger.warn(`${store.storeName} store: ${keyForMessages(key)} holds ${found}, not a sessionkit session; it reads as no session (a fresh one is started). ${remedy}`);
  return undefined;
}

/** The advice for a key-value server shared with other applications. */
export const SHARED_KEYSPACE_REMEDY =
  'Is another application using the same server and keyPrefix? Give sessionkit a keyPrefix (or database) of its own.';
