import type { SessionEvents } from '../../core/events.js';
import type { UserSessionControls } from '../../core/manager.js';

/** What an adapter's factory offers beside the middleware: a user's sessions and the lifecycle events. */
export type SessionControls = UserSessionControls & SessionEvents;

/**
 * Gives what an adapter's factory returns (a middleware, a handler, an object) the
 * manager's listSessions / revokeSessions / revokeSession and `on` (lifecycle events), so
 * that an application keeps one handle: `const sessions = sessionkit(options);
 * app.use(sessions); await sessions.revokeSessions(userId, { except: req.session })`.
 */
export function withUserControls<F extends object>(target: F, manager: SessionControls): F & SessionControls {
  const controls: SessionControls = {
    listSessions: (userId, options) => manager.listSessions(userId, options),
    revokeSessions: (userId, options) => manager.revokeSessions(userId, options),
    revokeSession: (userId, handle) => manager.revokeSession(userId, handle),
    on: (name, listener) => manager.on(name, listener),
  };
  return Object.assign(target, controls);
}
