import type { CarriedRecord, Carrier } from '../core/carrier.js';
import { SessionLockTimeoutError, type HeldLock, type SessionLocks } from './session-lock.js';

/** Told when a request waited for its session's lock (`timedOut`: and gave up), with the session's id: the `lockWaited` / `lockTimedOut` events. */
export type LockWaitObserver = (id: string, waitedMs: number, timedOut: boolean) => void;

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
export async function openLocked(carrier: Carrier, locks: SessionLocks, cookieValue: string, observer?: LockWaitObserver): Promise<LockedRecord> {
  const carried = await carrier.open(cookieValue);
  const id = carried?.id;
  if (!carried || id === undefined) return { carried, lock: undefined };
  let lock: HeldLock;
  try {
    lock = await locks.acquire(carrier.key(`lock.${carrier.storedName(id)}`));
  } catch (error) {
    if (error instanceof SessionLockTimeoutError) observer?.(id, error.waitedMs, true);
    throw error;
  }
  if (lock.waitedMs > 0) observer?.(id, lock.waitedMs, false);
  try {
    const again = await carrier.open(cookieValue);
    // A record the first open moved to its hashed key (hashIds) is reported as moved, whichever open read it.
    return { carried: carried.moved === true && again ? { ...again, moved: true } : again, lock };
  } catch (error) {
    await lock.release().catch(ignore);
    throw error;
  }
}
