/**
 * Moves the live sessions of another session library into sessionkit, one request at a
 * time (the `migrate` option; `expressSessionMigration()` from `sessionkit/connect` is one).
 * A request whose sessionkit cookie is missing or unusable but which carries the other
 * library's cookie gets that session's data under a new sessionkit id; once it is saved,
 * the old record is removed and the old cookie cleared. Requests that still carry only the
 * old cookie during the grace period (racing that first one, or just after it) land in
 * the same migrated session (engine/migration-links.ts).
 */
/** How long an old cookie still leads to the session it was migrated into, by default: one minute. */
export const DEFAULT_MIGRATION_GRACE_MS = 60_000;


export interface SessionMigration {
  /** The other library's cookie name (express-session: 'connect.sid'). */
  readonly cookieName: string;
  /**
   * The data of the session an old cookie value names, without that library's own
   * bookkeeping; undefined for a value that is unsigned, forged, unknown or expired.
   */
  read(cookieValue: string): Promise<Record<string, unknown> | undefined>;
  /** Removes the old record once its data lives on in sessionkit. */
  remove(cookieValue: string): Promise<void>;
  /** The Set-Cookie value that makes the browser forget the old cookie. */
  readonly clearCookie: string;
  /**
   * Milliseconds an old cookie still leads to the session it was migrated into (with a store;
   * sealed cookies keep no link). 0: no link, a late request is a fresh session. Default
   * DEFAULT_MIGRATION_GRACE_MS.
   */
  readonly graceMs?: number;
}

export function isSessionMigration(value: unknown): value is SessionMigration {
  const candidate = value as Partial<SessionMigration> | undefined;
  return (
    typeof candidate === 'object' &&
    typeof candidate.cookieName === 'string' &&
    typeof candidate.read === 'function' &&
    typeof candidate.remove === 'function' &&
    typeof candidate.clearCookie === 'string'
  );
}
