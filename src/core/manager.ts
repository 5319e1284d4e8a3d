import type { PendingCommit, RequestContext } from './commit.js';
import type { SessionEvents } from './events.js';
import type { Logger } from './logger.js';
import type { Session, SessionData, SessionKind } from './session.js';

export type { PendingCommit, RequestContext, SessionKind };

/** One live session of a user, as `listSessions` reports it. Never its id: `handle` names it. */
export interface UserSession {
  /** Opaque and stable for the session's life: what `revokeSession` takes. */
  readonly handle: string;
  /** When the session was created (survives login's regenerate); undefined for sessions older than this record. */
  readonly createdAt: number | undefined;
  /**
   * When the session was last saved or refreshed, as far as the store knows: exact to the
   * refresh throttle (`touchAfter`), and a lower bound near an absolute timeout.
   */
  readonly lastActiveAt: number;
  /** When the session ends unless it is used again. */
  readonly expiresAt: number;
  /** It is the session passed as `current`. */
  readonly current: boolean;
  /** The session's fields named in `listedFields` (user agent, address…): what the application chose to record. */
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface ListSessionsOptions {
  /** The request's own session, to be marked `current`. */
  current?: object;
}

export interface RevokeSessionsOptions {
  /**
   * A session to keep: the request's own session object, its id (`req.session.id`), or a
   * handle from `listSessions`. Sealed cookie sessions take the session object only.
   */
  except?: object | string;
}

/**
 * A user's sessions (with the `userField` option): what the engine, multiSession and every
 * adapter's factory offer, e.g. `app.use(sessions)` then `sessions.revokeSessions(id, { except: req.session })`.
 */
export interface UserSessionControls {
  /** The user's live sessions, most recently active first, each with an opaque handle. */
  listSessions(userId: string | number, options?: ListSessionsOptions): Promise<UserSession[]>;
  /**
   * Ends all the user's sessions, or all but `except` ("log out other devices"); resolves
   * how many (0 for sealed cookie sessions: nothing on the server counts them).
   */
  revokeSessions(userId: string | number, options?: RevokeSessionsOptions): Promise<number>;
  /** Ends the session `handle` names; false when it was not live. */
  revokeSession(userId: string | number, handle: string): Promise<boolean>;
}

/** Where an adapter looks for the CSRF token on an unsafe request (the `csrf` option), the header first. */
export interface CsrfPolicy {
  /** The request header, lower case. */
  readonly header: string;
  /** The form field, in the body the application's body parser made. */
  readonly field: string;
}

/**
 * What adapters need: the engine (`SessionEngine`), or `multiSession()`, which composes
 * several engines into one session.
 */
export interface SessionManager<T extends object = SessionData> extends UserSessionControls, SessionEvents {
  /** Where adapters report failures they handle themselves. */
  readonly logger: Logger;
  /** `loadSync` may be called: everything this manager reads answers without a promise. */
  readonly canLoadSync: boolean;
  load(cookieHeader: string | undefined, kind?: SessionKind): Promise<Session<T>>;
  /** `load` without a promise; only when `canLoadSync`. */
  loadSync(cookieHeader: string | undefined, kind?: SessionKind): Session<T>;
  commit(session: Session<T>, context?: RequestContext): PendingCommit;
  /** Requests hold something until they end (the `lock` option): the adapter calls `finish` when one ends, however it ends. */
  readonly locks: boolean;
  /**
   * The request of `session` ended: gives back what it holds once its last write landed.
   * Idempotent. Resolves once that is done (never rejects): a runtime that cancels what a
   * request left running once its response is out (workerd) must be given the promise to
   * wait for (`waitUntil`), or the adapter awaits it before it answers.
   */
  finish(session: Session<T>): Promise<void>;
  /** With the `csrf` option: adapters refuse unsafe requests that do not send the session's token. */
  readonly csrf?: CsrfPolicy | undefined;
}

/**
 * Where what an adapter's factory returns keeps the manager it runs on (a non-enumerable
 * property; see adapters/shared/user-controls.ts), so that sessionkit/otel can wrap the
 * manager's load and commit given only the factory's result. `Symbol.for`: the package's
 * ESM and CommonJS builds each have their own copy of this module, and must agree.
 */
export const SESSION_MANAGER: unique symbol = Symbol.for('sessionkit.manager');

/** The manager behind what an adapter's factory returned (or `target` itself, when it is one); undefined for anything else. */
export function managerBehind(target: object): SessionManager | undefined {
  const candidate = (target as { [SESSION_MANAGER]?: unknown })[SESSION_MANAGER] ?? target;
  return isManager(candidate) ? candidate : undefined;
}

/** A `SessionManager`, told by the methods an adapter calls. */
export function isManager<T extends object = SessionData>(value: unknown): value is SessionManager<T> {
  const candidate = value as Partial<SessionManager<T>> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.load === 'function' && typeof candidate.commit === 'function';
}
