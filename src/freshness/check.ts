import { SessionConfigError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import type { SessionControls } from '../core/session.js';

/** Why a session is not fresh enough: no login was ever recorded, or the last one is older than allowed. */
export type StaleReason = 'never-authenticated' | 'stale';

/** A session whose user proved who they are within the allowed age. */
export interface FreshOutcome {
  readonly fresh: true;
  readonly authenticatedAt: Date;
  /** Milliseconds since then. */
  readonly ageMs: number;
  readonly maxAgeMs: number;
}

/** A session that must authenticate again before the action: what a guard's `onStale` receives. */
export interface StaleOutcome {
  readonly fresh: false;
  readonly reason: StaleReason;
  /** When the user last proved who they are; undefined when never. */
  readonly authenticatedAt: Date | undefined;
  /** Milliseconds since then; undefined when never. */
  readonly ageMs: number | undefined;
  readonly maxAgeMs: number;
}

export type FreshnessOutcome = FreshOutcome | StaleOutcome;

/** The duration a guard allows, in milliseconds: seconds or '15m'-style, checked once when the guard is made. */
export function freshnessMaxAge(maxAge: number | string): number {
  const ms = typeof maxAge === 'number' || typeof maxAge === 'string' ? parseDuration(maxAge, 'requireFresh maxAge') : Number.NaN;
  if (!(ms > 0)) throw new SessionConfigError(`requireFresh needs a positive maxAge, in seconds or such as '15m', got ${String(maxAge)}.`);
  return ms;
}

/**
 * Whether the user of `session` proved who they are (`markAuthenticated()`, or a login with
 * `userField`) at most `maxAgeMs` ago: the one decision behind every adapter's
 * `requireFresh`. A time ahead of this server's clock (another server's) counts as now.
 */
export function freshnessOf(session: Pick<SessionControls, 'authenticatedAt'>, maxAgeMs: number, now = Date.now()): FreshnessOutcome {
  const authenticatedAt = session.authenticatedAt;
  if (authenticatedAt === undefined) return { fresh: false, reason: 'never-authenticated', authenticatedAt, ageMs: undefined, maxAgeMs };
  const ageMs = Math.max(0, now - authenticatedAt.getTime());
  return ageMs <= maxAgeMs ? { fresh: true, authenticatedAt, ageMs, maxAgeMs } : { fresh: false, reason: 'stale', authenticatedAt, ageMs, maxAgeMs };
}

/**
 * `freshnessOf` with the allowed age as an option is written: seconds or '15m'-style. For
 * handlers with no middleware chain (a Web fetch handler, node:http) and for code that
 * decides itself: `if (!checkFreshness(session, '15m').fresh) redirect to /confirm-password`.
 */
export function checkFreshness(session: Pick<SessionControls, 'authenticatedAt'>, maxAge: number | string): FreshnessOutcome {
  return freshnessOf(session, freshnessMaxAge(maxAge));
}

/** The body the guards answer a stale session with, beside a 401, when the application gives no `onStale`. */
export function staleBody(outcome: StaleOutcome): { error: 'reauthentication_required'; reason: StaleReason; maxAgeSeconds: number } {
  return { error: 'reauthentication_required', reason: outcome.reason, maxAgeSeconds: Math.ceil(outcome.maxAgeMs / 1000) };
}
