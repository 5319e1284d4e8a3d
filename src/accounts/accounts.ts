import type { AccountState, IndexedAs } from './account-state.js';
import { SessionConfigError } from '../core/errors.js';
import type { UserSession } from '../core/manager.js';

/** What a commit does to the user index: entries to add before the write and remove after it. */
export interface IndexPlan {
  readonly add: IndexedAs | undefined;
  readonly remove: IndexedAs | undefined;
}

/** What the accounts feature decided for one commit: the payload's account fields, and the index work. */
export interface AccountsPlan extends IndexPlan {
  /** Until when the user index covers the session (the payload's `x`). */
  readonly indexedUntil: number | undefined;
  /** Since when a sealed session belongs to its user (the payload's `a`). */
  readonly signedInAt: number | undefined;
}

/** The times a commit is decided at: now, the record's expiry if written now, and the session's absolute end (if any). */
export interface PlanTimes {
  readonly now: number;
  readonly expiresAt: number;
  readonly end: number | undefined;
}

/** The plan of a commit with nothing for the accounts feature to do: shared, as it is the common case. */
export const NO_ACCOUNT_WORK: AccountsPlan = Object.freeze({ add: undefined, remove: undefined, indexedUntil: undefined, signedInAt: undefined });

/** The account fields a stored payload carries. */
export interface StoredAccountFields {
  /** Until when the user index covers the session. */
  readonly x?: number | undefined;
  /** Since when a sealed session belongs to its user. */
  readonly a?: number | undefined;
}

/**
 * The `userField` features, as the engine sees them: the user index of sessions kept in a
 * store (./indexed-accounts.ts) or the revocation times of sealed cookie sessions
 * (./sealed-accounts.ts). The engine calls these at named points of load and commit without
 * knowing which one it holds; an engine without `userField` holds none and calls nothing.
 */
export interface Accounts {
  /** Load: what the session loaded with `data` says of its user. */
  loaded(state: AccountState, data: Readonly<Record<string, unknown>>, fields: StoredAccountFields): void;
  /** Load, after `loaded`: a promise of true when the session was revoked since (it is then a fresh session); false at once when that cannot be. */
  revoked(state: AccountState): Promise<boolean> | false;
  /** Reload: the state as read again (`loaded` for a session that keeps what it had signed in as). */
  reloaded(state: AccountState, data: Readonly<Record<string, unknown>>, fields: StoredAccountFields): void;
  /** Commit: the account fields to store and the index work (`data` undefined: the session is emptied). */
  plan(state: AccountState, data: Readonly<Record<string, unknown>> | undefined, times: PlanTimes): AccountsPlan;
  /** Commit: work to run before the commit's own (a sealed cookie the commit leaves behind is refused); undefined when none. */
  leftBehind(state: AccountState, sealsUser: boolean, now: number, expiresAt: number): (() => Promise<void>) | undefined;
  /** Persist: a store write of this session has account work around it, so it cannot be done synchronously. */
  readonly writesAround: boolean;
  /** Persist, before the session's write: false when the session was revoked and must not be written. */
  beforeWrite(state: AccountState, plan: AccountsPlan): Promise<boolean>;
  /** Persist, after the session's write: the index entry the session now has. */
  afterWrite(state: AccountState, plan: AccountsPlan): Promise<void>;
  /** The user's live sessions; `currentId` marks the request's own. */
  list(userId: string, currentId: string | undefined): Promise<UserSession[]>;
  /** Ends the user's sessions but `except` (a session's state, its id or a handle); resolves how many were counted. */
  revokeAll(userId: string, except: AccountState | string | undefined): Promise<number>;
  /** Ends the session `handle` names; false when it was not live. */
  revokeOne(userId: string, handle: string): Promise<boolean>;
}

/** What revokeSessions' `except` may be, for its error messages. */
export const EXCEPT_TAKES = 'Pass the request\'s session (except: req.session), its id (req.session.id), or a handle from listSessions().';

/** The error of a user-sessions method an engine cannot offer: without `userField`, or (sealed cookies) without a store to list. */
export function unavailable(method: string, hasUserField: boolean): SessionConfigError {
  return new SessionConfigError(
    hasUserField
      ? `${method}() needs sessions kept in a store: sealed cookie sessions are not on the server` +
          (method === 'revokeSessions' ? '. Give the engine revocations: { store } to revoke them.' : '; revokeSessions() with revocations: { store } works for them.')
      : `${method}() needs the userField option: name the session field that identifies the user, e.g. userField: 'user_id'.`,
  );
}
