import type { CarriedRecord, Carrier } from '../core/carrier.js';
import type { HeldLock, SessionLocks } from './session-lock.js';

/** What a cookie value opened to, with the session's lock when one was taken. */
export interface LockedRecord {
  readonly carried: CarriedRecord | undefined;
  readonly lock: HeldLock | undefined;
}

const ignore = () => {};

/**
 * Opens the record a cookie value names, holding its session's lock (the `lock` option).
 * The lock is taken only once the record is known to exist, so that made-up ids cost no
 * lock writes; then the record is read again, for the holder before us may have changed it.
 */
export async function openLocked(carrier: Carrier, locks: SessionLocks, cookieValue: string): Promise<LockedRecord> {
  const carried = await carrier.open(cookieValue);
  if (!carried || carried.id === undefined) return { carried, lock: undefined };
  const lock = await locks.acquire(carrier.key(`lock.${carrier.storedName(carried.id)}`));
  try {
    const again = await carrier.open(cookieValue);
    // A record the first open moved to its hashed key (hashIds) is reported as moved, whichever open read it.
    return { carried: carried.moved === true && again ? { ...again, moved: true } : again, lock };
  } catch (error) {
    await lock.release().catch(ignore);
    throw error;
  }
}
