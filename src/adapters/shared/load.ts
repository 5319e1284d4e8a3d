import type { SessionKind, SessionManager } from '../../core/manager.js';
import type { Session } from '../../engine/session.js';

/**
 * The one way every adapter loads: synchronously where everything the manager reads
 * answers synchronously (no promise on the request's path), otherwise through `load`.
 */
export function loadSession<T extends object>(
  manager: SessionManager<T>,
  cookieHeader: string | undefined,
  kind?: SessionKind,
): Session<T> | Promise<Session<T>> {
  return manager.canLoadSync ? manager.loadSync(cookieHeader, kind) : manager.load(cookieHeader, kind);
}

/** Where a callback-style adapter's request goes once its session is loaded, or could not be. */
export interface LoadCallbacks<T extends object> {
  onSession: (session: Session<T>) => void;
  onError: (error: unknown) => void;
}

/** `loadSession` for callback-style adapters: exactly one of `onSession` and `onError` is called. */
export function loadForRequest<T extends object>(
  manager: SessionManager<T>,
  cookieHeader: string | undefined,
  { onSession, onError }: LoadCallbacks<T>,
  kind?: SessionKind,
): void {
  let loaded: Session<T> | Promise<Session<T>>;
  try {
    loaded = loadSession(manager, cookieHeader, kind);
  } catch (error) {
    onError(error);
    return;
  }
  if (loaded instanceof Promise) loaded.then(onSession, onError);
  else onSession(loaded);
}
