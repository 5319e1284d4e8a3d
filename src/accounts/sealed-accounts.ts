import type { UserSession } from '../core/manager.js';
import type { AccountState, IssuedSignIn, SignedIn } from './account-state.js';
import type { SessionLimitOption } from './session-limit.js';
import { NO_ACCOUNT_WORK, unavailable, type Accounts, type AccountsPlan, type PlanTimes, type StoredAccountFields } from './accounts.js';
import type { CookieRevocations } from './cookie-revocations.js';

/**
 * The `userField` features for sealed cookie sessions with `revocations`: nothing on the
 * server can be listed or deleted, so a session remembers since when it belongs to its user
 * (sealed in its cookie, the payload's `a`) and a revocation refuses every cookie that
 * signed in before it (./cookie-revocations.ts).
 */
export class SealedAccounts implements Accounts {
  /** The cookie is the write: there is no store write to be around. */
  readonly writesAround = false;
  readonly #revocations: CookieRevocations;
  readonly #limit: SessionLimitOption | undefined;

  /** `limit`: `maxSessionsPerUser` (sealed sessions evict only: options.ts refuses 'refuse'). */
  constructor(revocations: CookieRevocations, limit?: SessionLimitOption) {
    this.#revocations = revocations;
    this.#limit = limit;
  }

  loaded(state: AccountState, data: Readonly<Record<string, unknown>>, fields: StoredAccountFields): void {
    const signedIn = this.#revocations.signedInFrom(data, fields.a);
    state.signedIn = signedIn;
    state.issuedSignIn = signedIn && { ...signedIn, id: state.id };
  }

  revoked(state: AccountState): Promise<boolean> | false {
    return state.signedIn ? this.#revocations.isRevoked(state.signedIn, state.id) : false;
  }

  /** A sealed session read again is the same cookie: what it signed in as stays, and a logout after still revokes it. */
  reloaded(): void {}

  plan(state: AccountState, data: Readonly<Record<string, unknown>> | undefined, { now }: PlanTimes): AccountsPlan {
    return data === undefined ? NO_ACCOUNT_WORK : { ...NO_ACCOUNT_WORK, signedInAt: this.#revocations.signedInAt(state, data, now) };
  }

  /**
   * A sealed cookie cannot be deleted: the one a logout, destroy() or regenerate() leaves is
   * refused instead. With `maxSessionsPerUser`, a cookie that signs a user in is counted
   * (after the one it replaces is refused, so that a login again does not count twice)
   * before it is sent.
   */
  leftBehind(state: AccountState, sealsUser: boolean, now: number, expiresAt: number): (() => Promise<void>) | undefined {
    const sealed = sealsUser ? state.signedIn : undefined;
    const limit = this.#limit;
    const signIn = limit && sealed && signsIn(state.issuedSignIn, sealed, state.id) ? { ...sealed, id: state.id } : undefined;
    const left = this.#revocations.leftBehind(state, sealed);
    if (!signIn) return left && (() => this.#revocations.revokeSession(left, now, expiresAt));
    return async () => {
      if (left) await this.#revocations.revokeSession(left, now, expiresAt);
      await this.#revocations.signIn(signIn, limit!);
    };
  }

  async beforeWrite(): Promise<boolean> {
    return true;
  }

  async afterWrite(): Promise<void> {}

  list(): Promise<UserSession[]> {
    return Promise.reject(unavailable('listSessions', true));
  }

  /** Every session of the user that signed in earlier is refused from now on; `except`, the request's own session, is kept by sealing it again. */
  async revokeAll(userId: string, except: AccountState | string | undefined): Promise<number> {
    if (typeof except === 'string') {
      throw new TypeError(
        'sessionkit: revokeSessions(): a sealed cookie session is kept by sealing its cookie again, so except must be the session itself ' +
          '(except: req.session), not its id or a handle.',
      );
    }
    // Sign-ins carry millisecond times, and one sealed in this very millisecond signed in before
    // the revocation too: the generation starts at the next millisecond so that it is refused.
    await this.#revocations.revokeAll(userId, Date.now() + 1, except);
    // Nothing on the server to count.
    return 0;
  }

  revokeOne(): Promise<boolean> {
    return Promise.reject(unavailable('revokeSession', true));
  }
}

/** True when the cookie a commit seals (`sealed`, of session `id`) is a sign-in the browser does not hold yet. */
function signsIn(issued: IssuedSignIn | undefined, sealed: SignedIn, id: string): boolean {
  return issued === undefined || issued.user !== sealed.user || issued.id !== id || issued.at !== sealed.at;
}
