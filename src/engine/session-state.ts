import type { CookieSettings } from './cookie/cookie-header.js';
import type { SessionCookieView, SessionFacts } from '../core/session.js';
import type { AccountState } from '../accounts/account-state.js';
import type { FreshnessState } from '../freshness/freshness.js';
import { generateId } from './cookie/ids.js';
import type { ResolvedOptions } from './options.js';
import type { HeldLock } from '../lock/session-lock.js';
import type { KeptPayload } from './memo/decoded-records.js';
import type { HeldCookies } from './cookie/cookie-chunks.js';
import type { EventState } from '../core/events.js';

/** The engine's bookkeeping for one session, kept off the data under a symbol. */
export interface SessionState extends SessionFacts, AccountState, FreshnessState, HeldCookies, EventState {
  id: string;
  isNew: boolean;
  /** The stored payload as it was read, to detect changes (nested ones too) by comparison. */
  loadedBytes: Uint8Array | undefined;
  /**
   * The payload those bytes decode to, kept in the store record's memo (./decoded-records.ts,
   * the memory store's): commit compares with it before it encodes anything.
   */
  loadedPayload: KeptPayload | undefined;
  version: string | undefined;
  expiresAt: number | undefined;
  /** Ids whose records must be deleted on commit (after regenerate() or destroy()). */
  retiredIds: string[];
  /** The request carried a valid cookie for a session: clearing it needs a Set-Cookie. */
  cookieReceived: boolean;
  /** When the session was first created (epoch ms), kept across regenerate; undefined for records from before it was stored. */
  createdAt: number | undefined;
  /** This session's own lifetime (remember-me: `session.cookie.maxAge`), stored with it. */
  lifetimeMs: number | undefined;
  /** Cookie attributes this session set for itself, stored with it. */
  cookieSettings: CookieSettings | undefined;
  /** `touch()` was called: refresh the expiry at commit even if no refresh is due. */
  touchRequested: boolean;
  /** A store write of this session in progress (a `save()` nobody awaited): the next one waits for it. */
  writing: Promise<void> | undefined;
  /** The other library's cookie value this session's data was migrated from, until the old record is removed. */
  migratedFrom: string | undefined;
  /** Its cookie is sent at commit even if nothing changed: a migrated session this request's browser does not know yet. */
  cookieOwed: boolean;
  /** The per-session lock this request holds (`lock` option), released when the request ends. */
  lock: HeldLock | undefined;
  /** Some fields were loaded still encoded (./lazy-fields.ts): commit writes back those nobody read. */
  lazy: boolean;
  /** Its record was read with a memo (`StoreRecord.memo`): a write may leave the session there as written. */
  readWithMemo: boolean;
  /** `session.cookie`, made when first asked for (./cookie/session-cookie.ts). */
  cookieView: SessionCookieView | undefined;
  /** With `bind`: the fingerprint of the request its user signed in from (../events/client-binding.ts). */
  bound: string | undefined;
}

/** The state of a session that has no record yet: a fresh random id, nothing loaded. */
export function freshState(options: Pick<ResolvedOptions, 'idLength' | 'permanent'>, cookieReceived: boolean): SessionState {
  return {
    id: generateId(options.idLength),
    isNew: true,
    loadedBytes: undefined,
    loadedPayload: undefined,
    version: undefined,
    expiresAt: undefined,
    permanent: options.permanent,
    retiredIds: [],
    cookieReceived,
    heldChunks: 0,
    createdAt: Date.now(),
    lifetimeMs: undefined,
    cookieSettings: undefined,
    touchRequested: false,
    writing: undefined,
    migratedFrom: undefined,
    cookieOwed: false,
    indexed: undefined,
    signedIn: undefined,
    issuedSignIn: undefined,
    authenticatedAt: undefined,
    authenticatedUser: undefined,
    lock: undefined,
    lazy: false,
    readWithMemo: false,
    cookieView: undefined,
    bound: undefined,
    // Asked of the events at load (engine.ts): a session made anywhere else asks per event.
    unheard: false,
  };
}

/** The state of a session read from its store (or sealed cookie): the same shape as a fresh one. */
export function loadedState(
  id: string,
  record: { data: Uint8Array; expiresAt: number; version?: string | undefined },
  payload: { p: boolean; t?: number | undefined; l?: number | undefined; c?: CookieSettings | undefined; b?: string | undefined },
): SessionState {
  return {
    id,
    isNew: false,
    loadedBytes: record.data,
    loadedPayload: undefined,
    version: record.version,
    expiresAt: record.expiresAt,
    permanent: payload.p,
    retiredIds: [],
    cookieReceived: true,
    heldChunks: 0,
    createdAt: payload.t,
    lifetimeMs: payload.l,
    cookieSettings: payload.c,
    touchRequested: false,
    writing: undefined,
    migratedFrom: undefined,
    cookieOwed: false,
    indexed: undefined,
    signedIn: undefined,
    issuedSignIn: undefined,
    authenticatedAt: undefined,
    authenticatedUser: undefined,
    lock: undefined,
    lazy: false,
    readWithMemo: false,
    cookieView: undefined,
    bound: payload.b,
    unheard: false,
  };
}

/** The ids a session's record and earlier retirements leave to delete. */
function retiring(state: SessionState): string[] {
  return state.isNew ? state.retiredIds : [...state.retiredIds, state.id];
}

/**
 * `regenerate()`: a new id for the same session, whose old record goes at commit. A login
 * does not restart the absolute clock; `destroy()` does (`restartClock`).
 */
export function regeneratedState(options: Pick<ResolvedOptions, 'idLength' | 'permanent'>, state: SessionState, restartClock: boolean): SessionState {
  return Object.assign(freshState(options, state.cookieReceived), {
    permanent: state.permanent,
    createdAt: restartClock ? Date.now() : state.createdAt,
    lifetimeMs: state.lifetimeMs,
    cookieSettings: state.cookieSettings,
    // The old id's index entry goes when the new session commits.
    indexed: state.indexed,
    // Held until the request ends, whatever its id now.
    lock: state.lock,
    retiredIds: retiring(state),
    // The chunks the browser holds (cookieStore({ chunk: true })), deleted as the new session's cookies are set.
    heldChunks: state.heldChunks,
    // The sealed cookie the browser holds, refused when the session commits under its new id.
    issuedSignIn: state.issuedSignIn,
    // A login's new id keeps when the user proved who they are; what destroy() leaves has no user.
    authenticatedAt: restartClock ? undefined : state.authenticatedAt,
    authenticatedUser: restartClock ? undefined : state.authenticatedUser,
    // Still the same request: what it was told of the events holds.
    unheard: state.unheard,
  });
}

/**
 * express-session's `regenerate(callback)`: a new, empty session takes this one's place; its
 * id and the ids it retired are deleted when the new one commits. What the old one held (its
 * lock, the sealed cookie the browser holds, when its user last proved who they are) passes to the new one.
 */
export function renewedState(options: Pick<ResolvedOptions, 'idLength' | 'permanent'>, state: SessionState): SessionState {
  const fresh = freshState(options, state.cookieReceived);
  fresh.heldChunks = state.heldChunks;
  fresh.retiredIds = retiring(state);
  fresh.createdAt = state.createdAt;
  fresh.indexed = state.indexed;
  fresh.lock = state.lock;
  state.lock = undefined;
  fresh.issuedSignIn = state.issuedSignIn;
  state.issuedSignIn = undefined;
  // Kept, as by regenerate(): with userField, a login in the new session records its own time at commit.
  fresh.authenticatedAt = state.authenticatedAt;
  fresh.authenticatedUser = state.authenticatedUser;
  fresh.unheard = state.unheard;
  return fresh;
}

/** The lifetime that applies to a session: its own (remember-me), or the configured one. */
export function lifetimeOf(options: Pick<ResolvedOptions, 'lifetimeMs'>, state: SessionState): number {
  return state.lifetimeMs ?? options.lifetimeMs;
}

/** When a session ends however active it is: its creation plus the absolute lifetime; undefined without one. */
export function absoluteEnd(options: Pick<ResolvedOptions, 'absoluteLifetimeMs'>, state: Pick<SessionState, 'createdAt'>): number | undefined {
  return options.absoluteLifetimeMs === undefined || state.createdAt === undefined ? undefined : state.createdAt + options.absoluteLifetimeMs;
}

/**
 * The expiry a write at `now` gives a session: a lifetime from now (idle timeout), never past
 * its absolute end.
 */
export function expiryAt(options: Pick<ResolvedOptions, 'lifetimeMs' | 'absoluteLifetimeMs'>, state: SessionState, now: number): number {
  const idle = now + lifetimeOf(options, state);
  const end = absoluteEnd(options, state);
  return end === undefined ? idle : Math.min(idle, end);
}

/**
 * Whether an unmodified session's expiry should be pushed out now: `touch()` was called,
 * or refreshEachRequest, throttled so that it happens at most once per touchAfter (the
 * expiry was last set a lifetime before it falls).
 */
export function isRefreshDue(
  options: Pick<ResolvedOptions, 'refreshEachRequest' | 'lifetimeMs' | 'touchAfterMs' | 'absoluteLifetimeMs'>,
  state: SessionState,
  now: number,
): boolean {
  if (state.touchRequested) return true;
  if (!options.refreshEachRequest || state.expiresAt === undefined) return false;
  // At its absolute end already: a refresh could not move the expiry.
  const end = absoluteEnd(options, state);
  if (end !== undefined && state.expiresAt >= end) return false;
  const lastRefresh = state.expiresAt - lifetimeOf(options, state);
  return now - lastRefresh >= options.touchAfterMs;
}
