import { SessionEngine, type SessionManager } from './engine.js';
import type { SessionOptions } from './options.js';
import { SealedCookieEngine } from './sealed-engine.js';
import type { Session, SessionData } from './session.js';
import { CookieStore } from '../stores/cookie/index.js';

/**
 * The manager an adapter was given, or one built from plain options: the sealed-cookie
 * engine for `store: cookieStore(…)`, the server-side engine for every other store.
 */
export function toSessionManager<T extends object = SessionData>(options: SessionOptions | SessionManager<T>): SessionManager<T> {
  const candidate = options as Partial<SessionManager<T>>;
  if (typeof candidate.commit === 'function' && typeof candidate.load === 'function') return options as SessionManager<T>;
  const plain = options as SessionOptions;
  return plain.store instanceof CookieStore ? new SealedCookieEngine<T>(plain) : new SessionEngine<T>(plain);
}

/**
 * Loads the session of a Cookie header for a callback-style adapter: synchronously when
 * every store can (no promise on the request's path), otherwise through `load`. Exactly
 * one of `onSession` and `onError` is called.
 */
export function loadForRequest<T extends object>(
  engine: SessionManager<T>,
  cookieHeader: string | undefined,
  onSession: (session: Session<T>) => void,
  onError: (error: unknown) => void,
): void {
  let session: Session<T> | undefined;
  try {
    session = engine.loadSync(cookieHeader);
  } catch (error) {
    onError(error);
    return;
  }
  if (session) onSession(session);
  else engine.load(cookieHeader).then(onSession, onError);
}
