import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { SessionEngine, toSessionManager } from '../engine/engine.js';
import type { SessionManager, UserSessionControls } from '../core/manager.js';
import { RequestBinding } from '../core/request-binding.js';
import { runWithSession } from '../engine/request-context.js';
import { bindToRequest } from '../engine/session.js';
import { CsrfError } from '../forms/csrf.js';
import { csrfRefusalFor } from './shared/csrf.js';
import { loadForRequest } from './shared/load.js';
import { commitOnResponse } from './shared/node-response.js';
import { withUserControls } from './shared/user-controls.js';
import type { SessionOptions } from '../engine/options.js';
import type { Session, SessionData } from '../engine/session.js';

export type SessionHandler<T extends object = SessionData> = (
  req: IncomingMessage,
  res: ServerResponse,
  session: Session<T>,
) => unknown;

/**
 * Sessions for a plain node:http server, no framework:
 *
 *     http.createServer(withSession({ store }, async (req, res, session) => { … }))
 *
 * Store failures and errors thrown by the handler go to `onError`, which by default
 * logs them through the engine's logger and answers 500 (or drops the connection if
 * the response had already started). With `cookie.secure: 'auto'`, the cookie is
 * Secure on TLS connections.
 *
 * Not named `sessionkit` like the Express, Fastify, Koa and Hono factories: those return
 * their framework's middleware, while node:http has none, so this wraps the handler itself.
 */
export function withSession<T extends object = SessionData>(
  options: SessionOptions | SessionManager<T>,
  handler: SessionHandler<T>,
  onError?: (error: unknown, req: IncomingMessage, res: ServerResponse) => void,
): ((req: IncomingMessage, res: ServerResponse) => void) & UserSessionControls {
  const engine = toSessionManager<T>(options);
  const handleError = onError ?? ((error, _req, res) => answer500(engine, error, res));
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const fail = (error: unknown) => handleError(error, req, res);
    const start = (session: Session<T>) => {
      // No replace: the handler holds its session as an argument, so regenerate(callback)
      // empties this one in place.
      const binding = new RequestBinding<Session>(session, req.socket instanceof TLSSocket);
      bindToRequest(session, binding);
      commitOnResponse(engine, binding, res, fail);
      // node:http parses no body: the token comes in the header, or in a form field where
      // something before this listener parsed the body into req.body.
      const policy = engine.csrf;
      const refused = policy && csrfRefusalFor(policy, session, { method: req.method, header: req.headers[policy.header], body: (req as { body?: unknown }).body });
      if (refused) {
        fail(refused);
        return;
      }
      // The handler may be async: its rejection is a failure of the request too.
      Promise.resolve()
        .then(() => runWithSession(session as Session, () => handler(req, res, session)))
        .catch(fail);
    };
    loadForRequest(engine, req.headers.cookie, { onSession: start, onError: fail });
  };
  return withUserControls(listener, engine);
}

/** The default onError: 403 with its message for a CSRF refusal, else logged and 500. */
function answer500(engine: SessionManager<object>, error: unknown, res: ServerResponse): void {
  const refused = error instanceof CsrfError;
  if (!refused) engine.logger.warn(`request failed: ${error instanceof Error ? error.stack : String(error)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = refused ? error.status : 500;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(refused ? error.message : 'Internal Server Error');
}

export { SessionEngine };
export type { Session, SessionData, SessionOptions };
