import type { PendingCommit, RequestContext } from './commit.js';
import type { Logger } from './logger.js';
import type { Session, SessionClass, SessionData } from './session.js';

export type { PendingCommit, RequestContext, SessionClass };

/**
 * What adapters need: the engine (`SessionEngine`), or `multiSession()`, which composes
 * several engines into one session.
 */
export interface SessionManager<T extends object = SessionData> {
  /** Where adapters report failures they handle themselves. */
  readonly logger: Logger;
  /** `loadSync` may be called: everything this manager reads answers without a promise. */
  readonly canLoadSync: boolean;
  load(cookieHeader: string | undefined, kind?: SessionClass): Promise<Session<T>>;
  /** `load` without a promise; only when `canLoadSync`. */
  loadSync(cookieHeader: string | undefined, kind?: SessionClass): Session<T>;
  commit(session: Session<T>, context?: RequestContext): PendingCommit;
}
