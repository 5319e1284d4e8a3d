import type { Logger } from './logger.js';
import type { Session, SessionData } from './session.js';

/** Per-request facts an adapter knows and the engine needs. */
export interface RequestContext {
  /** The request came over HTTPS (used when cookie.secure is 'auto'). */
  secure?: boolean;
}

/**
 * The outcome of committing a session, in two steps because headers and the store are
 * written at different moments: `setCookies` are known at once (an adapter can send it
 * even when the body is already streaming), `persist()` performs the store operations.
 */
export interface PendingCommit {
  /** Set-Cookie header values to send; empty when no cookie changes. */
  readonly setCookies: readonly string[];
  /** False when there is nothing to write: adapters may then skip `persist()` altogether. */
  readonly needsPersist: boolean;
  persist(): Promise<void>;
}

/**
 * What adapters need: the engine (`SessionEngine`), or `multiSession()`, which composes
 * several engines into one session.
 */
export interface SessionManager<T extends object = SessionData> {
  /** Where adapters report failures they handle themselves. */
  readonly logger: Logger;
  /** `loadSync` may be called: everything this manager reads answers without a promise. */
  readonly canLoadSync: boolean;
  load(cookieHeader: string | undefined): Promise<Session<T>>;
  /** `load` without a promise; only when `canLoadSync`. */
  loadSync(cookieHeader: string | undefined): Session<T>;
  commit(session: Session<T>, context?: RequestContext): PendingCommit;
}
