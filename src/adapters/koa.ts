import { persistCommit } from '../core/commit.js';
import type { BaseContext, DefaultState, Middleware, ParameterizedContext } from 'koa';
import { SessionEngine, toSessionManager } from '../engine/engine.js';
import type { SessionManager } from '../core/manager.js';
import { RequestBinding } from '../core/request-binding.js';
import { runWithSession } from '../engine/request-context.js';
import { bindToRequest } from '../engine/session.js';
import { applySessionHeaders } from './shared/headers.js';
import { csrfRefusalFor } from './shared/csrf.js';
import { loadSession } from './shared/load.js';
import { NodeResponseHeaders } from './shared/node-response.js';
import { sessionOf } from './shared/session-of.js';
import { withUserControls, type SessionControls } from './shared/user-controls.js';
import { freshnessMaxAge, freshnessOf, staleBody, type StaleOutcome } from '../freshness/check.js';
import { STALE_STATUS } from './shared/stale.js';
import type { SessionOptions } from '../engine/options.js';
import type { Session, SessionData } from '../engine/session.js';
import type { SchemaOutput, StandardSchema } from '../schema/standard-schema.js';

declare module 'koa' {
  interface DefaultContext {
    /** The request's session, typed by sessionkit's `SessionData` interface. */
    session: Session;
  }
}

/** The context the middleware gives what runs after it: `ctx.session` typed with its session data (Koa's `ContextT`). */
export interface SessionContext<T extends object = SessionData> {
  session: Session<T>;
}

/**
 * What `sessionkit()` returns: the middleware, typed with the context it gives (so that
 * `app.use(sessions)` types `ctx.session` in the middleware chained after it), the user's
 * sessions, and `of(ctx)`.
 */
export type SessionkitMiddleware<T extends object = SessionData> = Middleware<DefaultState, SessionContext<T>> &
  SessionControls & {
    /**
     * `ctx.session`, typed with this middleware's session data (the `schema`'s output), for
     * middleware whose context is not typed by the chain (a router's): `sessions.of(ctx)`.
     * Throws when the middleware did not run for `ctx`.
     */
    readonly of: (ctx: BaseContext) => Session<T>;
  };

/**
 * Koa 2 and 3 middleware: `app.use(sessionkit({ store, secret }))`, then `ctx.session`,
 * with express-session's API on it (`regenerate(cb)`, `save(cb)`, …) as koa-passport needs.
 * The session is saved after the downstream middleware finished and before Koa writes
 * the response; a store failure is thrown into Koa's error handling. With
 * `cookie.secure: 'auto'`, the cookie is Secure when `ctx.secure` (honours `app.proxy`).
 * With `schema`, the session's type is the schema's output: in `app.use(sessions).use((ctx) => …)`,
 * a router's `SessionContext<T>`, and `sessions.of(ctx)`.
 */
export function sessionkit<S extends StandardSchema<object>>(options: SessionOptions & { schema: S }): SessionkitMiddleware<SchemaOutput<S>>;
export function sessionkit<T extends object = SessionData>(options?: SessionOptions | SessionManager<T>): SessionkitMiddleware<T>;
export function sessionkit(options: SessionOptions | SessionManager = {}): SessionkitMiddleware {
  const engine = toSessionManager(options);
  const middleware: Middleware<DefaultState, SessionContext> = async function sessionkitMiddleware(ctx, next) {
    const loaded = loadSession(engine, ctx.get('cookie') || undefined);
    const session = loaded instanceof Promise ? await loaded : loaded;
    ctx.session = session;
    const binding = new KoaBinding(session, ctx);
    bindToRequest(session, binding);
    try {
      const policy = engine.csrf;
      const refused = policy && csrfRefusalFor(policy, session, { method: ctx.method, header: ctx.get(policy.header) || undefined, body: (ctx.request as { body?: unknown }).body });
      if (refused) throw refused; // Koa answers its status, 403, with its message (expose)
      await runWithSession(session, next);
      const pending = engine.commit(binding.current, binding);
      if (pending.needsPersist) await persistCommit(pending);
      applySessionHeaders(new NodeResponseHeaders(ctx.res), binding.cookiesWith(pending.setCookies));
    } finally {
      // Node runs the release to its end after the response: the response need not wait for it.
      if (engine.locks) void engine.finish(binding.current);
    }
  };
  const of = (ctx: BaseContext) => sessionOf((ctx as Partial<SessionContext>).session, 'app.use(sessions)');
  return withUserControls(Object.assign(middleware, { of }), engine);
}

/** A Koa request's binding: `ctx.secure` (which honours `app.proxy`) read only when a cookie needs it; a replacement session goes to `ctx.session`. */
class KoaBinding extends RequestBinding<Session> {
  readonly #ctx: ParameterizedContext<DefaultState, SessionContext>;

  constructor(session: Session, ctx: ParameterizedContext<DefaultState, SessionContext>) {
    super(session);
    this.#ctx = ctx;
  }

  override get secure(): boolean {
    return this.#ctx.secure;
  }

  /** For `bind`: Koa's ctx.ip honours `app.proxy`. */
  get clientAddress(): string {
    return this.#ctx.ip;
  }

  get userAgent(): string | undefined {
    return this.#ctx.get('user-agent') || undefined;
  }

  override replace(session: Session): void {
    this.#ctx.session = session;
  }
}

/** What `requireFresh` does with a request whose login is too old: answer it, typically `ctx.redirect('/confirm-password')`. */
export type StaleHandler = (ctx: ParameterizedContext, outcome: StaleOutcome) => unknown;

/**
 * A guard for sensitive routes: `router.post('/email', requireFresh('15m'), handler)` runs
 * what follows only when the session's user proved who they are (`ctx.session.markAuthenticated()`,
 * or a login with `userField`) at most `maxAge` ago (seconds or '15m'-style). Otherwise
 * `onStale` answers; without one, a 401 with `{ error: 'reauthentication_required', reason,
 * maxAgeSeconds }`. Needs the `freshness` option.
 */
export function requireFresh(maxAge: number | string, options: { onStale?: StaleHandler } = {}): Middleware {
  const maxAgeMs = freshnessMaxAge(maxAge);
  const onStale = options.onStale;
  return async function requireFreshMiddleware(ctx, next) {
    const outcome = freshnessOf(ctx.session, maxAgeMs);
    if (outcome.fresh) {
      await next();
    } else if (onStale) {
      await onStale(ctx, outcome);
    } else {
      ctx.status = STALE_STATUS;
      ctx.body = staleBody(outcome);
    }
  };
}

export { SessionEngine };
export { InvalidSessionError } from '../schema/invalid-session-error.js';
export type { Session, SessionData, SessionOptions, StaleOutcome };
