/**
 * Step-up freshness (the `freshness` option): when the user last proved who they are, so
 * that a sensitive action can ask for a recent login (./check.ts). The time is stored with
 * the session (the payload's `u`), sealed into the cookie with `cookieStore()`, kept across
 * `regenerate()`, and never moved by a refresh or `touch()`: only `markAuthenticated()` and,
 * with `userField`, a login (the session names a user it did not) set it.
 */

/** A session as freshness sees it: a narrow view of the engine's state (engine/session-state.ts extends it). */
export interface FreshnessState {
  /** When the user last proved who they are (epoch ms); undefined if never. */
  authenticatedAt: number | undefined;
  /** With `userField`: the user the session named when it was loaded or last committed, to notice a login or a logout. */
  authenticatedUser: string | undefined;
}

/** What freshness reads of a stored payload. */
export interface StoredFreshness {
  /** authenticatedAt (epoch ms). */
  readonly u?: number | undefined;
}

/** The user a session's data names (the `userField` reader), or undefined. */
export type UserOf = (data: Readonly<Record<string, unknown>>) => string | undefined;

/** The feature as the engine calls it, built only with the `freshness` option. */
export class Freshness {
  readonly #userOf: UserOf | undefined;

  /** `userOf`: with `userField`, so that a login records the time as `markAuthenticated()` would. */
  constructor(userOf: UserOf | undefined) {
    this.#userOf = userOf;
  }

  /** Load (and reload): the time the payload carries, and the user the session names now. */
  loaded(state: FreshnessState, data: Readonly<Record<string, unknown>>, stored: StoredFreshness): void {
    state.authenticatedAt = stored.u;
    state.authenticatedUser = this.#userOf?.(data);
  }

  /** `markAuthenticated()`: the user proved who they are at `now`. */
  mark(state: FreshnessState, now: number): void {
    state.authenticatedAt = now;
  }

  /**
   * Commit: the time to store. With `userField`, a session that names a user it did not name
   * before (a login: Passport's `req.login`, or a switch of user) is authenticated now, and
   * one that names no user any more (a logout) is not authenticated at all. The same user
   * signing in again (a confirm-password form) calls `markAuthenticated()` itself.
   */
  planned(state: FreshnessState, data: Readonly<Record<string, unknown>>, now: number): number | undefined {
    if (this.#userOf) {
      const user = this.#userOf(data);
      if (user !== state.authenticatedUser) {
        state.authenticatedAt = user === undefined ? undefined : now;
        state.authenticatedUser = user;
      }
    }
    return state.authenticatedAt;
  }
}
