import type { StoreError } from './store.js';

/**
 * Why a request's cookie gave no session: it sent none; the value is not one of ours in
 * shape (`malformed`) or its signature or seal does not verify (`forged`); it names no
 * record (`unknown`); the record expired, could not be read (`unreadable`: not a session,
 * or over maxSessionBytes), passed its absolute lifetime, or was revoked (its user logged
 * out everywhere, or this session was ended); or its data does not match the `schema`
 * (`invalid`: with `onInvalid: 'fresh'`, or an upgrade whose result does not match either).
 */
export type MissReason = 'no-cookie' | 'malformed' | 'forged' | 'unknown' | 'expired' | 'unreadable' | 'absolute-end' | 'revoked' | 'invalid';

/** What every event about one session carries: its handle (never its id, never its data) and its store. */
export interface SessionEventBase {
  /** The session's opaque name, as `listSessions` gives it: a one-way hash of its id. */
  readonly handle: string;
  /** The store's name, or 'cookie' for sealed cookie sessions. */
  readonly store: string;
}

/** The parts of a request a bound session compares with those it signed in from (`bind`). */
export type BoundPart = 'ip' | 'userAgent';

/** Every lifecycle event, by name, with what its listeners receive. */
export interface SessionEventMap {
  /** A new session was written for the first time (its store write done, or its sealed cookie made). */
  created: SessionEventBase;
  /** A request's cookie opened to a live session. */
  loaded: SessionEventBase;
  /** A request had no usable session and got a fresh one (`handle` is the fresh one's), with the reason. */
  missed: SessionEventBase & { readonly reason: MissReason };
  /** A changed session was written. */
  saved: SessionEventBase;
  /** An unchanged session's expiry was pushed out. */
  touched: SessionEventBase;
  /** `regenerate()`: the session has a new id (`handle`); `previous` names the old one. */
  regenerated: SessionEventBase & { readonly previous: string };
  /** `destroy()`, or a request that emptied a stored session. */
  destroyed: SessionEventBase;
  /** `revokeSessions` / `revokeSession` (`cause: 'revoke'`), or `maxSessionsPerUser` making room for a login (`'limit'`), ended `count` sessions. */
  revoked: { readonly store: string; readonly count: number; readonly cause: 'revoke' | 'limit' };
  /** Another process wrote the session since this request read it: the compare-and-set lost and this request's fields were merged. */
  conflict: SessionEventBase & { readonly attempts: number };
  /** A request waited for its session's lock (`lock`), held by another request. */
  lockWaited: SessionEventBase & { readonly waitedMs: number };
  /** A request gave up waiting for its session's lock. */
  lockTimedOut: SessionEventBase & { readonly waitedMs: number };
  /** A store call failed; the request failed with `error`. */
  storeError: { readonly store: string; readonly action: string; readonly durationMs: number | undefined; readonly error: StoreError };
  /** With `bind`: a signed-in session's request came from another address or user agent than the one it signed in from. A signal, never a logout. */
  suspicious: SessionEventBase & { readonly changed: readonly BoundPart[] };
}

export type SessionEventName = keyof SessionEventMap;

export type SessionEventListener<K extends SessionEventName> = (event: SessionEventMap[K]) => void;

/** Listeners given at start-up (the `events` option). */
export type SessionEventListeners = { readonly [K in SessionEventName]?: SessionEventListener<K> };

/** Where listeners subscribe: the engine, multiSession, and what every adapter's factory returns. */
export interface SessionEvents {
  /** Calls `listener` for every `name` event; returns the function that unsubscribes it. A listener that throws is logged once and never breaks a request. */
  on<K extends SessionEventName>(name: K, listener: SessionEventListener<K>): () => void;
}

/**
 * What the engine's parts report events through. A request asks `listening()` once, when
 * its session is loaded, and remembers the answer (`EventState`): nobody listening, it asks
 * nothing more and builds nothing. Somebody listening, each event is asked `wants(name)`
 * before its payload is made.
 */
export interface EventSink {
  /** Whether anybody listens to any event now: a listener (`on`, `events`), or a subscriber to any event's diagnostics channel. */
  listening(): boolean;
  wants(name: SessionEventName): boolean;
  emit<K extends SessionEventName>(name: K, event: SessionEventMap[K]): void;
}

/** What a session's state keeps of its request's one question to the events (`EventSink.listening`, asked at load). */
export interface EventState {
  /**
   * Nobody listened when the request loaded this session: the request reports no event. A
   * listener or subscriber that comes while it runs hears from the next request on.
   */
  unheard: boolean;
}
