import type { SessionEvents } from '../../core/events.js';
import { SESSION_MANAGER, type SessionManager, type UserSessionControls } from '../../core/manager.js';

/** What an adapter's factory offers beside the middleware: a user's sessions and the lifecycle events. */
export type SessionControls = UserSessionControls & SessionEvents;

/**
 * Gives what an adapter's factory returns (a middleware, a handler, an object) the
 * manager's listSessions / revokeSessions / revokeSession and `on` (lifecycle events), so
 * that an application keeps one handle: `const sessions = sessionkit(options);
 * app.use(sessions); await sessions.revokeSessions(userId, { except: req.session })`.
 * The manager itself goes under `SESSION_MANAGER`, not enumerable, for
 * `instrumentSessions(sessions)` (sessionkit/otel) to reach its load and commit.
 */
export function withUserControls<F extends object>(target: F, manager: SessionManager): F & SessionControls {
  const controls: SessionControls = {
    listSessions: (userId, options) => manager.listSessions(userId, options),
    revokeSessions: (userId, options) => manager.revokeSessions(userId, options),
    revokeSession: (userId, handle) => manager.revokeSession(userId, handle),
    on: (name, listener) => manager.on(name, listener),
  };
  Object.defineProperty(target, SESSION_MANAGER, { value: manager });
  return Object.assign(target, controls);
}
