import { SessionConfigError } from '../../core/errors.js';
import { DEFAULT_TIMEOUT_MS } from './call.js';

// Option checks that several stores share, with one wording: a wrong value fails at start-up
// with a message that names the store's factory, the option and what it takes.

/** A store's `timeout` (milliseconds a call may take): the default when not given, else a positive finite number. */
export function timeoutOption(factory: string, timeout: number | undefined): number {
  const value = timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new SessionConfigError(`${factory}: timeout must be a positive number of milliseconds, got ${String(timeout)}.`);
  }
  return value;
}

/** A store's `sweepBatchSize` (records deleted per batch of a sweep): 500 when not given, else an integer from 1 to `max`, its backend's limit. */
export function sweepBatchSizeOption(factory: string, size: number | undefined, max: number): number {
  const value = size ?? 500;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new SessionConfigError(`${factory}: sweepBatchSize must be an integer from 1 to ${max}, got ${String(size)}.`);
  }
  return value;
}
