import type { Store } from '../core/store.js';

/**
 * What the accounts features read and keep of a session: a narrow view of the engine's
 * session state (engine/session-state.ts extends it), so that accounts know nothing else
 * of the engine.
 */

/** The user index entry a session has (./user-sessions.ts): whose, under which id, and until when it covers it. */
export interface IndexedAs {
  readonly user: string;
  readonly id: string;
  readonly until: number;
}

/** Since when a sealed session belongs to its user (./cookie-revocations.ts): what a revocation is compared with. */
export interface SignedIn {
  readonly user: string;
  readonly at: number;
}

/** A signed-in sealed cookie a browser holds (with `revocations`): what leaving it (logout, destroy, regenerate) must refuse. */
export interface IssuedSignIn extends SignedIn {
  readonly id: string;
}

/** A session as the accounts features see it. */
export interface AccountState {
  readonly id: string;
  /** The user index entry this session has (with `userField`): kept across regenerate, to be removed or replaced. */
  indexed: IndexedAs | undefined;
  /** A sealed session's user and since when (with `revocations`), sealed into its cookie. */
  signedIn: SignedIn | undefined;
  /** The signed-in sealed cookie the browser holds (with `revocations`): refused once this session leaves it. */
  issuedSignIn: IssuedSignIn | undefined;
}

/** A stored session as the user index reads it to list it: its data, and the times the listing shows. */
export interface StoredSession {
  readonly d: Record<string, unknown>;
  /** When it was created. */
  readonly t?: number | undefined;
  /** Its own lifetime (remember-me), if it has one. */
  readonly l?: number | undefined;
}

/** The `revocations` option, resolved: where sealed cookies' revocation times live, and how stale a cached one may be. */
export interface ResolvedRevocations {
  readonly store: Store;
  readonly maxStaleMs: number;
}
