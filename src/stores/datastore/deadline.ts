/**
 * How one store operation's `timeout` bounds the SDK calls it makes: each call gets what is
 * left of the time as its deadline, less a margin, so that the SDK's own error (with its
 * cause: ECONNREFUSED, DEADLINE_EXCEEDED) is the one reported, and the store's bound stays
 * the backstop. The deadline also ends the SDK's retries, which would otherwise go on for
 * up to 10 minutes (its default for lookups and queries).
 */
import { Code } from './errors.js';

/** The `gaxOptions` of one SDK call. */
export interface CallOptions {
  timeout: number;
  retry: { retryCodes: number[]; backoffSettings: ReturnType<typeof retryWithin> };
}

/** A call's options, computed when the call starts. */
export type Deadline = () => CallOptions;

/** The deadlines of an operation that started now and may take `timeout` ms. */
export function deadlineFrom(timeout: number): Deadline {
  const started = performance.now();
  const margin = Math.min(300, timeout / 4);
  return () => {
    const left = Math.max(1, Math.round(timeout - margin - (performance.now() - started)));
    // UNAVAILABLE is retried for every call, writes included: it means the request found
    // no connection (right after an outage, while gRPC waits to reconnect), not that it
    // failed half-way.
    return { timeout: left, retry: { retryCodes: [Code.UNAVAILABLE], backoffSettings: retryWithin(left, margin) } };
  };
}

/**
 * The SDK's retry schedule for a call given `ms`: its usual exponential backoff, every
 * attempt bounded by what is left, and no pause longer than most of `margin` (the SDK
 * notices its deadline only after a pause, which must end before the store's own).
 */
function retryWithin(ms: number, margin: number) {
  const longest = Math.min(ms / 4, margin * 0.75);
  return {
    initialRetryDelayMillis: Math.min(100, longest),
    retryDelayMultiplier: 1.3,
    maxRetryDelayMillis: longest,
    initialRpcTimeoutMillis: ms,
    rpcTimeoutMultiplier: 1,
    maxRpcTimeoutMillis: ms,
    totalTimeoutMillis: ms,
  };
}
