import { isCarrierSource, type CarrierSource } from '../core/carrier.js';
import { describeValue, SessionConfigError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import type { OnLimit, SessionLimitOption } from '../accounts/session-limit.js';

/** The options `maxSessionsPerUser` depends on (a part of ./options.ts's SessionOptions). */
interface LimitOptions {
  readonly maxSessionsPerUser?: number;
  readonly onLimit?: OnLimit;
  readonly userField?: string;
  readonly store?: Store | CarrierSource;
  readonly revocations?: object;
}

const ON_LIMIT: readonly OnLimit[] = ['evict-oldest', 'refuse'];

/**
 * `maxSessionsPerUser` and `onLimit`, checked at start-up. A store without compare-and-set
 * is refused where `userField` itself is (the user index, or `revocations.store`).
 */
export function resolveSessionLimit(options: LimitOptions): SessionLimitOption | undefined {
  const { maxSessionsPerUser: max, onLimit } = options;
  if (max === undefined) {
    if (onLimit !== undefined) throw new SessionConfigError('onLimit is set without maxSessionsPerUser: set maxSessionsPerUser too (the most sessions one user may have).');
    return undefined;
  }
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new SessionConfigError(`maxSessionsPerUser must be a whole number of sessions, 1 or more, got ${describeValue(max)}.`);
  }
  if (onLimit !== undefined && !ON_LIMIT.includes(onLimit)) {
    throw new SessionConfigError(`onLimit must be 'evict-oldest' or 'refuse', got ${describeValue(onLimit)}.`);
  }
  if (options.userField === undefined) {
    throw new SessionConfigError("maxSessionsPerUser counts each user's sessions: set userField too, the session field that names the user (e.g. userField: 'userId').");
  }
  if (isCarrierSource(options.store)) checkSealed(options, onLimit);
  return { max, onLimit: onLimit ?? 'evict-oldest' };
}

/** Sealed cookie sessions are counted in the revocations store, and only evicted: see the message. */
function checkSealed(options: LimitOptions, onLimit: OnLimit | undefined): void {
  if (options.revocations === undefined) {
    throw new SessionConfigError('maxSessionsPerUser with sealed cookie sessions (cookieStore()) counts them in the revocations store: set revocations: { store } too.');
  }
  if (onLimit === 'refuse') {
    throw new SessionConfigError(
      "onLimit: 'refuse' needs sessions kept in a store: a sealed cookie is refreshed without the server hearing of it, so a session that " +
        "merely went idle would count against the limit until it could no longer open, and lock its user out. Use onLimit: 'evict-oldest' (the default).",
    );
  }
}
