import { StoreError, wrapStoreError } from '../../core/store.js';

/** Default bound on one store operation, so a server that stops answering never hangs a request. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * What to tell the user when an operation fails: a fixed sentence ("Is redis://… up and
 * reachable?"), or a function of the cause for stores whose advice depends on the error
 * (a missing DynamoDB table, an item over memcached's size limit). A function may return
 * a whole StoreError where the usual "<action> failed: <reason>. <remedy>" does not fit.
 */
export type Remedy = string | ((cause: unknown) => string | StoreError | Promise<string | StoreError>);

/** The store an operation belongs to: its name for messages and its time bound. */
export interface CallScope {
  readonly name: string;
  /** Milliseconds; 0, a negative number or Infinity leaves the operation unbounded. */
  readonly timeout: number;
}

/**
 * Runs one store operation within the store's timeout and turns every failure into a
 * StoreError naming the store, the action, the remedy and the cause: the one place where
 * a backend's error becomes what the engine and the user see.
 */
export async function storeCall<T>(
  scope: CallScope,
  action: string,
  remedy: Remedy,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  try {
    return await bounded(scope, action, operation);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const advice = typeof remedy === 'string' ? remedy : await remedy(error);
    throw advice instanceof StoreError ? advice : wrapStoreError(scope.name, action, advice, error);
  }
}

/**
 * The time bound alone, errors left as the backend threw them: for steps whose errors the
 * caller still inspects (DynamoDB's table set-up asks whether the table exists). Rejects
 * with a StoreError when `operation` takes longer than the timeout and aborts `signal`,
 * which clients that accept one (the AWS SDK) use to cancel the request; for the others
 * the request waiting for it is at least released.
 */
export function bounded<T>(scope: CallScope, action: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  // async: some clients throw synchronously (memcache-client with no server left).
  const running = (async () => operation(controller.signal))();
  const ms = scope.timeout;
  if (!(ms > 0) || !Number.isFinite(ms)) return running;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new StoreError(
          scope.name,
          `${action} did not answer within ${ms} ms. Check that the server is up and reachable, or raise the store's timeout option.`,
        ),
      );
    }, ms);
    // Node: the bound alone must not keep a process alive. Workers' timers are numbers, without unref.
    (timer as { unref?: () => void }).unref?.();
  });
  return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
}
