import { persistCommit } from '../core/commit.js';
import type { Context, MiddlewareHandler } from 'hono';
import { SessionEngine, toSessionManager } from '../engine/engine.js';
import type { SessionManager } from '../core/manager.js';
import { RequestBinding } from '../core/request-binding.js';
import { runWithSession } from '../engine/request-context.js';
import { bindToRequest } from '../engine/session.js';
import { applySessionHeaders } from './shared/headers.js';
import type { CsrfPolicy } from '../core/manager.js';
import { isUnsafeMethod, type CsrfError } from '../forms/csrf.js';
import { csrfRefusalFor, isFormBody } from './shared/csrf.js';
import { loadSession } from './shared/load.js';
import { withUserControls, type SessionControls } from './shared/user-controls.js';
import { freshnessMaxAge, freshnessOf, staleBody, type StaleOutcome } from '../freshness/check.js';
import { STALE_STATUS } from './shared/stale.js';
import type { SessionOptions } from '../engine/options.js';
import type { Session, SessionData } from '../engine/session.js';
import type { SchemaOutput, StandardSchema } from '../schema/standard-schema.js';

/** Hono variables set by the middleware: `c.get('session')` is typed through them. */
export interface SessionVariables<T extends object = SessionData> {
  session: Session<T>;
}

/** What `sessionkit()` returns: the middleware, typed with the session it sets, and the user's sessions. */
export type SessionMiddleware<T extends object = SessionData> = MiddlewareHandler<{ Variables: SessionVariables<T> }> & SessionControls;

/**
 * Hono middleware: `app.use(sessionkit({ store, secret }))`, then `c.get('session')`.
 * Type your app with `new Hono<{ Variables: SessionVariables }>()`, or chain
 * `new Hono().use(sessionkit({ store, schema }))`: the session's type is then the schema's output. Runs wherever Hono
 * runs on Web-standard Request/Response; the session is saved after the handler and
 * before the response is returned, and a store failure goes to `app.onError`. With
 * `cookie.secure: 'auto'`, the cookie is Secure when the request URL is https.
 */
export function sessionkit<S extends StandardSchema<object>>(options: SessionOptions & { schema: S }): SessionMiddleware<SchemaOutput<S>>;
export function sessionkit<T extends object = SessionData>(options?: SessionOptions | SessionManager<T>): SessionMiddleware<T>;
export function sessionkit<T extends object = SessionData>(
  options: SessionOptions | SessionManager<T> = {},
): SessionMiddleware<T> {
  const engine = toSessionManager<T>(options);
  const middleware: MiddlewareHandler<{ Variables: SessionVariables<T> }> = async (c, next) => {
    const cookieHeader = c.req.header('cookie');
    const loaded = loadSession(engine, cookieHeader);
    const session = loaded instanceof Promise ? await loaded : loaded;
    c.set('session', session);
    const binding = new HonoBinding(session, c);
    bindToRequest(session, binding);
    try {
      const refused = engine.csrf && (await csrfRefusalOf(engine.csrf, c, session));
      if (refused) return refusal(c, refused);
      await runWithSession(session as Session, next);
      const pending = engine.commit(binding.current, binding);
      // Awaited only when there is a promise: an in-process store has written at once.
      const writing = pending.needsPersist ? persistCommit(pending) : undefined;
      if (writing) await writing;
      applyHeaders(c, binding.cookiesWith(pending.setCookies));
      return undefined;
    } finally {
      if (engine.locks) await afterResponse(c, engine.finish(binding.current));
    }
  };
  return withUserControls(middleware, engine);
}

/** The CSRF decision for a Hono request: the form body is parsed (and kept for the handler) only when the header is absent. */
async function csrfRefusalOf(policy: CsrfPolicy, c: Context, session: object): Promise<CsrfError | undefined> {
  if (!isUnsafeMethod(c.req.method)) return undefined;
  const header = c.req.header(policy.header);
  const body = header === undefined && isFormBody(c.req.header('content-type')) ? await c.req.parseBody() : undefined;
  return csrfRefusalFor(policy, session, { method: c.req.method, header, body });
}

/**
 * The 403 for a CSRF refusal, answered here rather than thrown: the default error handler of
 * early Hono 4 (4.0.0 among them) answers anything but its own HTTPException with 500, and an
 * HTTPException from the Hono this module would import need not be the application's. The
 * error is left in `c.error`, where Hono puts a handler's error, so that a middleware mounted
 * before the sessions can answer it its own way.
 */
function refusal(c: Context, refused: CsrfError): Response {
  c.error = refused;
  return refused.getResponse();
}

/** A Hono request's binding: `secure` from the request URL, read only when a cookie needs it; a replacement session goes to `c.set('session')`. */
class HonoBinding<T extends object> extends RequestBinding<Session<T>> {
  readonly #context: Context<{ Variables: SessionVariables<T> }>;

  constructor(session: Session<T>, context: Context<{ Variables: SessionVariables<T> }>) {
    super(session);
    this.#context = context;
  }

  override get secure(): boolean {
    return this.#context.req.url.startsWith('https:');
  }

  /** For `bind` (Hono has no address that works on every runtime: `bind.ip` sees none here). */
  get userAgent(): string | undefined {
    return this.#context.req.header('user-agent');
  }

  override replace(session: Session<T>): void {
    this.#context.set('session', session);
  }
}

/**
 * Lets `work` (the lock's release) run on after the response where the runtime says how
 * (Workers' `waitUntil`: workerd cancels anything else a request left running once its
 * response is out, and the session's lock would stay taken), else waits for it before the
 * response goes. Hono has an execution context only where the platform gives one.
 */
function afterResponse(c: Context, work: Promise<void>): Promise<void> | undefined {
  let executionContext: Context['executionCtx'];
  try {
    executionContext = c.executionCtx;
  } catch {
    return work; // Hono throws when the platform gave no execution context (Node, Bun, Deno)
  }
  executionContext.waitUntil(work);
  return undefined;
}

function applyHeaders(c: Context, setCookies: readonly string[]): void {
  try {
    applySessionHeaders(c.res.headers, setCookies);
  } catch {
    // The handler returned a Response with immutable headers (one from fetch()): copy it.
    c.res = new Response(c.res.body, c.res);
    applySessionHeaders(c.res.headers, setCookies);
  }
}

/** What `requireFresh` answers for a request whose login is too old, typically `c.redirect('/confirm-password')`. */
export type StaleHandler<T extends object = SessionData> = (c: Context<{ Variables: SessionVariables<T> }>, outcome: StaleOutcome) => Response | Promise<Response>;

/**
 * A guard for sensitive routes: `app.post('/email', requireFresh('15m'), handler)` runs the
 * handler only when the session's user proved who they are (`c.get('session').markAuthenticated()`,
 * or a login with `userField`) at most `maxAge` ago (seconds or '15m'-style). Otherwise
 * `onStale` answers; without one, a 401 with `{ error: 'reauthentication_required', reason,
 * maxAgeSeconds }`. Needs the `freshness` option.
 */
export function requireFresh<T extends object = SessionData>(
  maxAge: number | string,
  options: { onStale?: StaleHandler<T> } = {},
): MiddlewareHandler<{ Variables: SessionVariables<T> }> {
  const maxAgeMs = freshnessMaxAge(maxAge);
  const onStale = options.onStale;
  return async (c, next) => {
    const outcome = freshnessOf(c.get('session'), maxAgeMs);
    if (outcome.fresh) {
      await next();
      return undefined;
    }
    return onStale ? onStale(c, outcome) : c.json(staleBody(outcome), STALE_STATUS);
  };
}

export { SessionEngine };
export { InvalidSessionError } from '../schema/invalid-session-error.js';
export type { Session, SessionData, SessionOptions, StaleOutcome };
