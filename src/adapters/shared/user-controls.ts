import type { UserSessionControls } from '../../core/manager.js';

/**
 * Gives what an adapter's factory returns (a middleware, a handler, an object) the
 * manager's listSessions / revokeSessions / revokeSession, so that an application keeps
 * one handle: `const sessions = sessionkit(options); app.use(sessions);
 * await sessions.revokeSessions(userId, { except: req.session })`.
 */
export function withUserControls<F extends object>(target: F, manager: UserSessionControls): F & UserSessionControls {
  const controls: UserSessionControls = {
    listSessions: (userId, options) => manager.listSessions(userId, options),
    revokeSessions: (userId, options) => manager.revokeSessions(userId, options),
    revokeSession: (userId, handle) => manager.revokeSession(userId, handle),
  };
  return Object.assign(target, controls);
}
