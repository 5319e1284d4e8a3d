/**
 * `maxSessionsPerUser`: how many sessions one user may have at once, and what a login
 * beyond that does (`onLimit`). The decision is made inside the compare-and-set of the
 * user's record (./user-index.ts for sessions in a store, ./cookie-revocations.ts for
 * sealed cookies), which serializes a user's logins: n + k logins at once end with at
 * most n live sessions.
 */

/** What a login beyond the limit does: end the user's least recently active session, or fail. */
export type OnLimit = 'evict-oldest' | 'refuse';

/** The `maxSessionsPerUser` and `onLimit` options, resolved. */
export interface SessionLimitOption {
  readonly max: number;
  readonly onLimit: OnLimit;
}

/**
 * A login refused by `maxSessionsPerUser` with `onLimit: 'refuse'`: the user has `limit`
 * live sessions already. The commit that would have added the session fails with it (so
 * does `await req.session.save()`), and nothing of the login is written. It names no
 * session and no user: it can be shown as it is.
 */
export class SessionLimitError extends Error {
  override readonly name = 'SessionLimitError';
  constructor(
    /** The `maxSessionsPerUser` setting. */
    readonly limit: number,
    /** How many live sessions the user had when the login was refused. */
    readonly liveSessions: number,
  ) {
    super(
      `sessionkit: this user has ${liveSessions} live sessions and maxSessionsPerUser is ${limit}, so the login was refused ` +
        '(onLimit: \'refuse\'). Let the user end one first (revokeSession, or a logout on another device), or use onLimit: \'evict-oldest\'.',
    );
  }
}

/** One of a user's sessions as the limit weighs it: its handle, and when it was last active. */
export interface CountedSession {
  readonly handle: string;
  readonly lastActiveAt: number;
}

/**
 * Makes room for one more session among `live` (the user's other live sessions): the
 * handles to end (the least recently active first), none when under the limit. Throws
 * {@link SessionLimitError} when the limit refuses instead.
 */
export function makeRoom(limit: SessionLimitOption, live: readonly CountedSession[]): string[] {
  if (live.length < limit.max) return [];
  if (limit.onLimit === 'refuse') throw new SessionLimitError(limit.max, live.length);
  return [...live]
    .sort((a, b) => a.lastActiveAt - b.lastActiveAt)
    .slice(0, live.length - limit.max + 1)
    .map((session) => session.handle);
}
