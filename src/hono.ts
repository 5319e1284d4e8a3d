import type { MiddlewareHandler } from 'hono';
import { runWithSession } from './context.js';
import { SessionEngine } from './engine.js';
import type { SessionOptions } from './options.js';
import type { Session, SessionData } from './session.js';
import { webSessions } from './web.js';

/** Hono variables set by the middleware: `c.get('session')` is typed through them. */
export interface SessionVariables<T extends object = SessionData> {
  session: Session<T>;
}

/**
 * Hono middleware: `app.use(sessionkit({ store, secret }))`, then `c.get('session')`.
 * Type your app with `new Hono<{ Variables: SessionVariables }>()`. Runs wherever Hono
 * runs on Web-standard Request/Response; the session is saved after the handler and
 * before the response is returned, and a store failure goes to `app.onError`. With
 * `cookie.secure: 'auto'`, the cookie is Secure when the request URL is https.
 */
export function sessionkit<T extends object = SessionData>(
  options: SessionOptions | SessionEngine<T> = {},
): MiddlewareHandler<{ Variables: SessionVariables<T> }> {
  const { loadSession, commitSession } = webSessions<T>(options);
  return async (c, next) => {
    const session = await loadSession(c.req.raw);
    c.set('session', session);
    await runWithSession(session as Session, next);
    // A handler may return a Response whose headers are immutable (one from fetch()).
    const headers = new Headers(c.res.headers);
    await commitSession(session, headers);
    c.res = new Response(c.res.body, { status: c.res.status, statusText: c.res.statusText, headers });
  };
}

export { SessionEngine };
export type { Session, SessionData, SessionOptions };
