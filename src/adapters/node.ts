import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { SessionEngine, toSessionManager } from '../engine/engine.js';
import type { SessionManager } from '../core/manager.js';
import { RequestBinding } from '../core/request-binding.js';
import { runWithSession } from '../engine/request-context.js';
import { bindToRequest } from '../engine/session.js';
import { CsrfError } from '../forms/csrf.js';
import { csrfRefusalFor } from './shared/csrf.js';
import { loadForRequest } from './shared/load.js';
import { commitOnResponse } from './shared/node-response.js';
import { withUserControls, type SessionControls } from './shared/user-controls.js';
import { freshnessMaxAge, freshnessOf, type StaleOutcome } from '../freshness/check.js';
import { sendStale } from './shared/stale.js';
import type { SessionOptions } from '../engine/options.js';
import type { Session, SessionData } from '../engine/session.js';
import type { SchemaOutput, StandardSchema } from '../schema/standard-schema.js';

export type SessionHandler<T extends object = SessionData> = (
  req: IncomingMessage,
  res: ServerResponse,
  session: Session<T>,
) => unknown;

/** Where `withSession` sends store failures and the handler's errors (by default: a 500). */
export type NodeErrorHandler = (error: unknown, req: IncomingMessage, res: ServerResponse) => void;

/** What `withSession` returns: node:http's request listener, with the user's-sessions controls. */
export type NodeSessionListener = ((req: IncomingMessage, res: ServerResponse) => void) & SessionControls;

/**
 * Sessions for a plain node:http server, no framework:
 *
 *     http.createServer(withSession({ store }, async (req, res, session) => { … }))
 *
 * Store failures and errors thrown by the handler go to `onError`, which by default
 * logs them through the engine's logger and answers 500 (or drops the connection if
 * the response had already started). With `cookie.secure: 'auto'`, the cookie is
 * Secure on TLS connections. With a `schema`, the handler's `session` is typed by its output.
 *
 * Not named `sessionkit` like the Express, Fastify, Koa and Hono factories: those return
 * their framework's middleware, while node:http has none, so this wraps the handler itself.
 */
export function withSession<S extends StandardSchema<object>>(
  options: SessionOptions & { schema: S },
  handler: SessionHandler<SchemaOutput<S>>,
  onError?: NodeErrorHandler,
): NodeSessionListener;
export function withSession<T extends object = SessionData>(options: SessionOptions | SessionManager<T>, handler: SessionHandler<T>, onError?: NodeErrorHandler): NodeSessionListener;
export function withSession<T extends object = SessionData>(
  options: SessionOptions | SessionManager<T>,
  handler: SessionHandler<T>,
  onError?: NodeErrorHandler,
): NodeSessionListener {
  const engine = toSessionManager<T>(options);
  const handleError = onError ?? ((error, _req, res) => answer500(engine, error, res));
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const fail = (error: unknown) => handleError(error, req, res);
    const start = (session: Session<T>) => {
      // No replace: the handler holds its session as an argument, so regenerate(callback)
      // empties this one in place.
      const binding = new NodeBinding(session, req);
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

/** A node:http request's binding: `secure` from its socket; for `bind`, the socket's address (no proxy is trusted) and User-Agent. */
class NodeBinding extends RequestBinding<Session> {
  readonly #req: IncomingMessage;

  constructor(session: Session, req: IncomingMessage) {
    super(session, req.socket instanceof TLSSocket);
    this.#req = req;
  }

  get clientAddress(): string | undefined {
    return this.#req.socket.remoteAddress;
  }

  get userAgent(): string | undefined {
    return this.#req.headers['user-agent'];
  }
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

/** What `requireFresh` does with a request whose login is too old: answer it, e.g. a 303 to the confirm-password page. */
export type StaleHandler<T extends object = SessionData> = (req: IncomingMessage, res: ServerResponse, session: Session<T>, outcome: StaleOutcome) => unknown;

/**
 * A guard around a handler: `withSession(options, requireFresh('15m', handler))` runs
 * `handler` only when the session's user proved who they are (`session.markAuthenticated()`,
 * or a login with `userField`) at most `maxAge` ago (seconds or '15m'-style). Otherwise
 * `onStale` answers; without one, a 401 with `{ error: 'reauthentication_required', reason,
 * maxAgeSeconds }`. Needs the `freshness` option.
 */
export function requireFresh<T extends object = SessionData>(
  maxAge: number | string,
  handler: SessionHandler<T>,
  options: { onStale?: StaleHandler<T> } = {},
): SessionHandler<T> {
  const maxAgeMs = freshnessMaxAge(maxAge);
  const onStale: StaleHandler<T> = options.onStale ?? ((_req, res, _session, outcome) => {
    sendStale(res, outcome);
  });
  return (req, res, session) => {
    const outcome = freshnessOf(session, maxAgeMs);
    return outcome.fresh ? handler(req, res, session) : onStale(req, res, session, outcome);
  };
}

export { SessionEngine };
export { InvalidSessionError } from '../schema/invalid-session-error.js';
export type { Session, SessionData, SessionOptions, StaleOutcome };
