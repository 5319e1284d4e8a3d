import { SessionEngine, type SessionManager } from './engine.js';
import type { SessionOptions } from './options.js';
import { SealedCookieEngine } from './sealed-engine.js';
import type { SessionData } from './session.js';
import { CookieStore } from './stores/cookie.js';

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
