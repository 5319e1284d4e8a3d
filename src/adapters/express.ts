import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionEngine, toSessionManager } from '../engine/engine.js';
import type { SessionManager } from '../core/manager.js';
import type { SessionOptions } from '../engine/options.js';
import { RequestBinding } from '../core/request-binding.js';
import { runWithSession } from '../engine/request-context.js';
import { bindToRequest, type Session, type SessionData } from '../engine/session.js';
import { csrfToken } from '../forms/csrf.js';
import { csrfRefusalFor } from './shared/csrf.js';
import { loadForRequest } from './shared/load.js';
import { commitOnResponse } from './shared/node-response.js';
import { sessionOf } from './shared/session-of.js';
import { withUserControls, type SessionControls } from './shared/user-controls.js';
import { freshnessMaxAge, freshnessOf, type FreshnessOutcome, type StaleOutcome } from '../freshness/check.js';
import { sendStale } from './shared/stale.js';
import type { SchemaOutput, StandardSchema } from '../schema/standard-schema.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's session, typed by sessionkit's `SessionData` interface. */
      session: Session;
      /**
       * The session's id, as express-session names it (tracing and CSRF libraries read it).
       * Not `readonly`: @types/express-session declares it without, and declarations that
       * merge must agree (TS2687 wherever both are in a program).
       */
      sessionID: string;
      /**
       * Flash messages, connect-flash's API on `req.session.flash` (Passport's `failureFlash`
       * calls it): `req.flash(type, message)` keeps one, `req.flash(type)` takes them once.
       * Methods, so that they merge with @types/connect-flash's where both are in a program.
       */
      flash(type: string, message: string | readonly string[]): number;
      flash(type: string, format: string, ...values: unknown[]): number;
      flash(type: string): string[];
      flash(): Record<string, string[]>;
      /** The session's CSRF token (`req.session.csrfToken()`), where csurf and csrf-sync put theirs. */
      csrfToken(): string;
    }
  }
}

/** The parts of Express's request we use, so Express 4 and 5 types both fit. */
interface ExpressRequest extends IncomingMessage {
  session?: Session;
  secure?: boolean;
  ip?: string;
  /** What a body parser mounted before the session middleware made (the CSRF form field). */
  body?: unknown;
}
type Next = (error?: unknown) => void;
/**
 * The middleware's own signature asks nothing of `req.session`'s declared type, so that it
 * fits Express's handlers even where @types/express-session (pulled in by connect-redis,
 * csrf-sync, …) declares `req.session` differently.
 */
export type SessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** What `sessionkit()` returns: the middleware, the user's sessions, and `of(req)`, the request's session typed as this middleware's. */
export type SessionkitMiddleware<T extends object = SessionData> = SessionMiddleware &
  SessionControls & {
    /**
     * `req.session`, typed with this middleware's session data (the `schema`'s output):
     * Express declares `req.session` once for every app, so a middleware cannot type it per
     * app, but the value it returns can. `const session = sessions.of(req)` in any handler
     * after `app.use(sessions)`; throws when the middleware did not run for `req`.
     */
    readonly of: (req: IncomingMessage) => Session<T>;
  };

/**
 * A request whose `req.session` has the data type of `sessions`, for a handler that would
 * rather annotate its parameter than call `sessions.of(req)`:
 * `(req: SessionRequest<typeof sessions>, res) => …`. `Req` is the request type it adds to:
 * Express's own `Request` for typed params and query.
 */
export type SessionRequest<M extends SessionkitMiddleware<object>, Req extends object = Express.Request> = Req & {
  session: ReturnType<M['of']>;
};

/**
 * An Express request's binding: `secure` from `req.secure`, a replacement session to
 * `req.session`. A class rather than an object literal with a getter, which would
 * allocate a new getter function on every request.
 */
class ExpressBinding extends RequestBinding<Session> {
  readonly #req: ExpressRequest;

  constructor(session: Session, req: ExpressRequest) {
    super(session);
    this.#req = req;
  }

  /** Express works out req.secure (trust proxy) only when a cookie needs it. */
  override get secure(): boolean {
    return this.#req.secure === true;
  }

  /** For `bind`: Express's req.ip honours `trust proxy`. */
  get clientAddress(): string | undefined {
    return this.#req.ip ?? this.#req.socket.remoteAddress;
  }

  get userAgent(): string | undefined {
    return this.#req.headers['user-agent'];
  }

  override replace(session: Session): void {
    this.#req.session = session;
  }
}

/**
 * Express 4 and 5 middleware: `app.use(sessionkit({ store, secret }))`, then
 * `req.session` in every handler, with express-session's API on it (`regenerate(cb)`,
 * `save(cb)`, `destroy(cb)`, `reload(cb)`, `touch()`, `cookie`) and `req.sessionID`, so
 * Passport and its friends work unchanged. Store failures go to `next(err)`. With
 * `cookie.secure: 'auto'`, the cookie is Secure when `req.secure` says so, which
 * honours Express's `trust proxy` setting.
 *
 * The store write happens before the response is finished, so the next request of
 * the same client always sees it. A handler that streams its body gets its cookie
 * with the headers; later changes to the session are still saved at the end, but a
 * new id (first write, regenerate, destroy) cannot reach the browser after the
 * headers are out: make those calls before streaming.
 */
export function sessionkit<S extends StandardSchema<object>>(options: SessionOptions & { schema: S }): SessionkitMiddleware<SchemaOutput<S>>;
export function sessionkit<T extends object = SessionData>(options?: SessionOptions | SessionManager<T>): SessionkitMiddleware<T>;
export function sessionkit(options: SessionOptions | SessionManager = {}): SessionkitMiddleware {
  const engine = toSessionManager(options);
  const middleware: SessionMiddleware = (incoming, res, next) => {
    const req = incoming as ExpressRequest;
    if (req.session) {
      next(); // mounted twice: the first instance already owns this request
      return;
    }
    const start = (session: Session) => {
      req.session = session;
      exposeOnRequest(req);
      const binding = new ExpressBinding(session, req);
      bindToRequest(session, binding);
      commitOnResponse(engine, binding, res, next);
      const policy = engine.csrf;
      const refused = policy && csrfRefusalFor(policy, session, { method: req.method, header: req.headers[policy.header], body: req.body });
      runWithSession(session, refused ? () => next(refused) : next);
    };
    loadForRequest(engine, req.headers.cookie, { onSession: start, onError: next });
  };
  const of = (req: IncomingMessage) => sessionOf((req as ExpressRequest).session, 'app.use(sessions)');
  return withUserControls(Object.assign(middleware, { of }), engine);
}

/** Request prototypes that already answer `sessionID`, `flash` and `csrfToken`. */
const exposedOn = new WeakSet<object>();

/**
 * `req.sessionID`, as express-session offers it, `req.flash`, as connect-flash does, and
 * `req.csrfToken()`, as csurf and csrf-sync do:
 * defined once on the app's request prototype, rather than set on every request (which
 * costs Express a slow path per request on Node 20). A request with no Express prototype
 * of its own (a plain node:http one) gets them on itself. A `flash` already there (another
 * library's) is left alone; connect-flash mounted after this middleware sees ours and keeps
 * out of the way.
 */
function exposeOnRequest(req: ExpressRequest): void {
  const prototype = Object.getPrototypeOf(req) as object;
  if (exposedOn.has(prototype)) return;
  const isExpressPrototype = Object.hasOwn(prototype, 'app') || Object.hasOwn(prototype, 'get');
  if (isExpressPrototype) exposedOn.add(prototype);
  const target = isExpressPrototype ? prototype : req;
  Object.defineProperty(target, 'sessionID', {
    configurable: true,
    get(this: ExpressRequest) {
      return this.session?.id;
    },
  });
  if (!('flash' in target)) Object.defineProperty(target, 'flash', { configurable: true, writable: true, value: requestFlash });
  if (!('csrfToken' in target)) Object.defineProperty(target, 'csrfToken', { configurable: true, writable: true, value: requestCsrfToken });
}

/** `req.csrfToken()`: the token of the session the request holds now. */
function requestCsrfToken(this: ExpressRequest): string {
  if (!this.session) throw new Error('sessionkit: req.csrfToken() needs the session middleware mounted before the route');
  // The function, not the session's method: a session csrf-sync wrote has a csrfToken field.
  return csrfToken(this.session);
}

/** `req.flash(...)`: the session's `flash`, whichever session the request holds now. */
function requestFlash(this: ExpressRequest, type?: string, ...values: unknown[]): unknown {
  if (!this.session) throw new Error('sessionkit: req.flash() needs the session middleware mounted before the route');
  const flash = this.session.flash.bind(this.session) as (type?: string, ...values: unknown[]) => unknown;
  return flash(type, ...values);
}

/**
 * What `requireFresh` does with a request whose login is too old: answer it, typically
 * `res.redirect(303, '/confirm-password')`. Annotate its parameters with Express's `Request`
 * and `Response` to use their methods (this module names no Express types, so that Express 4
 * and 5 both fit).
 */
export type StaleHandler<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> = (req: Req, res: Res, next: Next, outcome: StaleOutcome) => void;

/**
 * A guard for sensitive routes: `app.post('/email', requireFresh('15m'), handler)` runs the
 * handler only when the session's user proved who they are (`req.session.markAuthenticated()`,
 * or a login with `userField`) at most `maxAge` ago (seconds or '15m'-style). Otherwise
 * `onStale` answers (a redirect to your confirm-password page); without one, a 401 with
 * `{ error: 'reauthentication_required', reason, maxAgeSeconds }`. Needs the `freshness` option.
 */
export function requireFresh<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  maxAge: number | string,
  options: { onStale?: StaleHandler<Req, Res> } = {},
): (req: Req, res: Res, next: Next) => void {
  const maxAgeMs = freshnessMaxAge(maxAge);
  const onStale = options.onStale ?? answerStale;
  return (incoming, res, next) => {
    const session = (incoming as ExpressRequest).session;
    if (!session) {
      next(new Error('sessionkit: requireFresh() runs after the sessionkit() middleware: app.use(sessionkit(…)) first.'));
      return;
    }
    let outcome: FreshnessOutcome;
    try {
      outcome = freshnessOf(session, maxAgeMs);
    } catch (error) {
      next(error); // no freshness option: the message says to set it
      return;
    }
    if (outcome.fresh) next();
    else onStale(incoming, res, next, outcome);
  };
}

const answerStale: StaleHandler = (_req, res, _next, outcome) => {
  sendStale(res, outcome);
};

export { SessionEngine };
export { InvalidSessionError } from '../schema/invalid-session-error.js';
export type { Session, SessionData, SessionOptions, StaleOutcome };
