import { createRequire } from 'node:module';
import { StoreError } from '../core/store.js';

const requireFromHere = createRequire(import.meta.url);

/**
 * Loads a store's client library (an optional peer dependency) only when the store is
 * built without a client of the user's, and says exactly what to install if it is missing.
 */
export function loadOptional<T>(library: string, storeName: string): T {
  try {
    return requireFromHere(library) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new Error(`sessionkit: the ${storeName} store needs ${library}. Install it with: npm install ${library}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Default bound on one store operation, so a server that stops answering never hangs a request. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Rejects with a StoreError naming the store and the action when `operation` takes
 * longer than `ms`. The operation itself is not cancelled (most clients cannot), but the
 * request waiting for it is released.
 */
export function withTimeout<T>(operation: Promise<T>, ms: number, storeName: string, action: string): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return operation;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreError(
            storeName,
            `${action} did not answer within ${ms} ms. Check that the server is up and reachable, or raise the store's timeout option.`,
          ),
        ),
      ms,
    );
    timer.unref();
  });
  return Promise.race([operation, timeout]).finally(() => clearTimeout(timer));
}
