import type { Middleware } from 'koa';
import { runWithSession } from '../core/request-context.js';
import { varyWithCookie } from '../core/cookie-header.js';
import { SessionEngine, type SessionManager } from '../core/engine.js';
import { toSessionManager } from '../core/manager.js';
import type { SessionOptions } from '../core/options.js';
import type { Session, SessionData } from '../core/session.js';

declare module 'koa' {
  interface DefaultContext {
    /** The request's session, typed by sessionkit's `SessionData` interface. */
    session: Session<SessionData>;
  }
}

/**
 * Koa 2 and 3 middleware: `app.use(sessionkit({ store, secret }))`, then `ctx.session`.
 * The session is saved after the downstream middleware finished and before Koa writes
 * the response; a store failure is thrown into Koa's error handling. With
 * `cookie.secure: 'auto'`, the cookie is Secure when `ctx.secure` (honours `app.proxy`).
 */
export function sessionkit(options: SessionOptions | SessionManager = {}): Middleware {
  const engine = toSessionManager(options);
  return async function sessionkitMiddleware(ctx, next) {
    const session = await engine.load(ctx.get('cookie') || undefined);
    ctx.session = session;
    await runWithSession(session, next);
    const pending = engine.commit(session, { secure: ctx.secure });
    await pending.persist();
    const vary = varyWithCookie(ctx.response.get('Vary') || undefined);
    if (vary) ctx.response.set('Vary', vary);
    for (const cookie of pending.setCookies) ctx.append('Set-Cookie', cookie);
  };
}

export { SessionEngine };
export type { Session, SessionData, SessionOptions };
