import { storeCallChannels, type StoreCallChannels, type StoreCallMessage } from '../../core/channels.js';
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
export function storeCall<T>(
  scope: CallScope,
  action: string,
  remedy: Remedy,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  // Published only when an APM (or sessionkit/otel) subscribes: one check per call otherwise.
  const channels = storeCallChannels();
  const message = channels && { store: scope.name, action };
  if (message) channels.start.publish(message);
  // A then, not an async function around an await: one promise less on every store call.
  const call = bounded(scope, action, operation).then(undefined, async (error: unknown) => {
    const durationMs = performance.now() - started;
    if (error instanceof StoreError) throw withCallFacts(error, action, durationMs);
    const advice = typeof remedy === 'string' ? remedy : await remedy(error);
    throw withCallFacts(advice instanceof StoreError ? advice : wrapStoreError(scope.name, action, advice, error), action, durationMs);
  });
  return message ? published(call, channels, message, started) : call;
}

/** `call`, publishing its end (or its error, as the caller will see it) on the store call channels. */
function published<T>(call: Promise<T>, channels: StoreCallChannels, message: StoreCallMessage, started: number): Promise<T> {
  return call.then(
    (value) => {
      message.durationMs = performance.now() - started;
      channels.end.publish(message);
      return value;
    },
    (error: unknown) => {
      message.durationMs = performance.now() - started;
      message.error = error;
      channels.error.publish(message);
      throw error;
    },
  );
}

/** The failed call's action and duration on its error, for the `storeError` event; a nested call's own facts stay. */
function withCallFacts(error: StoreError, action: string, durationMs: number): StoreError {
  error.action ??= action;
  error.durationMs ??= durationMs;
  return error;
}

/**
 * The time bound alone, errors left as the backend threw them: for steps whose errors the
 * caller still inspects (DynamoDB's table set-up asks whether the table exists). Rejects
 * with a StoreError when `operation` takes longer than the timeout and aborts `signal`,
 * which clients that accept one (the AWS SDK) use to cancel the request; for the others
 * the request waiting for it is at least released.
 *
 * It is on the path of every request of a network store, so it is one promise and one
 * timer: the `Promise.race` of the operation with a timeout promise, its `finally` and an
 * async wrapper cost several times as much a call (`node bench/store-call.mjs`; figures in
 * bench/RESULTS.md). The
 * AbortController is made only for an operation that declares the signal parameter.
 */
export function bounded<T>(scope: CallScope, action: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = operation.length > 0 ? new AbortController() : undefined;
  const ms = scope.timeout;
  if (!(ms > 0) || !Number.isFinite(ms)) return start(operation, controller);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      controller?.abort();
      reject(
        new StoreError(
          scope.name,
          `${action} did not answer within ${ms} ms. Check that the server is up and reachable, or raise the store's timeout option.`,
        ),
      );
    }, ms);
    // Node: the bound alone must not keep a process alive. Workers' timers are numbers, without unref.
    (timer as { unref?: () => void }).unref?.();
    start(operation, controller).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        // As the backend rejected: storeCall wraps it, DynamoDB's set-up inspects it.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      },
    );
  });
}

/** The operation's promise; a client that throws synchronously (memcache-client with no server left) rejects it. */
function start<T>(operation: (signal: AbortSignal) => Promise<T>, controller: AbortController | undefined): Promise<T> {
  try {
    return Promise.resolve(operation(controller ? controller.signal : neverAborted()));
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}

let quietSignal: AbortSignal | undefined;
/** What an operation that declares no signal is given (it never reads it): one that never aborts, made once. */
const neverAborted = () => (quietSignal ??= new AbortController().signal);
