import { persistCommit } from '../core/commit.js';
import { SessionEngine, toSessionManager } from '../engine/engine.js';
import type { SessionManager } from '../core/manager.js';
import { RequestBinding } from '../core/request-binding.js';
import { runWithSession } from '../engine/request-context.js';
import { bindingOf, bindToRequest } from '../engine/session.js';
import { applySessionHeaders } from './shared/headers.js';
import type { CsrfPolicy } from '../core/manager.js';
import { isUnsafeMethod, type CsrfError } from '../forms/csrf.js';
import { csrfRefusalFor, isFormBody } from './shared/csrf.js';
import { loadSession as loadFromCookies } from './shared/load.js';
import { withUserControls, type SessionControls } from './shared/user-controls.js';
import { freshnessMaxAge, freshnessOf, type StaleOutcome } from '../freshness/check.js';
import { staleResponse } from './shared/stale.js';
import type { SessionOptions } from '../engine/options.js';
import type { SchemaOutput, StandardSchema } from '../schema/standard-schema.js';
import type { Session, SessionData } from '../engine/session.js';

/**
 * Sessions for Web-standard fetch handlers (Request in, Response out): Next.js route
 * handlers, Remix / React Router, SvelteKit, Hono, Bun, Deno.
 *
 *     const { loadSession, commitSession } = webSessions({ store, secret });
 *     export async function POST(request: Request) {
 *       const session = await loadSession(request);
 *       session.count = (session.count ?? 0) + 1;
 *       const headers = new Headers({ 'content-type': 'application/json' });
 *       await commitSession(session, headers);
 *       return new Response(JSON.stringify({ count: session.count }), { headers });
 *     }
 */
// Function properties, not methods: they are meant to be destructured (no `this` inside).
export interface WebSessions<T extends object = SessionData> extends SessionControls {
  readonly engine: SessionManager<T>;
  /** The session the request's Cookie header points to (a fresh one if none). */
  readonly loadSession: (request: Request) => Promise<Session<T>>;
  /** Saves the session and adds its Set-Cookie and Vary headers to `headers`. */
  readonly commitSession: (session: Session<T>, headers: Headers) => Promise<void>;
  /**
   * Wraps a whole handler: loads the session, runs the handler with the request-scoped
   * `session` available, commits, and returns the response with the session's headers.
   */
  /**
   * With the `csrf` option, the refusal of an unsafe request that does not send the session's
   * token (header, else form field: the form is read from a clone, the request's body stays
   * unread), or undefined. `handle` asks it itself and answers 403.
   */
  readonly checkCsrf: (request: Request, session: Session<T>) => Promise<CsrfError | undefined>;
  readonly handle: (handler: (request: Request, session: Session<T>) => Response | Promise<Response>) => (request: Request) => Promise<Response>;
}

/**
 * Sessions for fetch-style handlers (`Request` → `Response`: Workers, Deno, Bun, Next.js
 * route handlers). Not named `sessionkit` like the Express, Fastify, Koa and Hono factories,
 * which return their framework's middleware: a fetch handler has no middleware chain, so this
 * returns the pieces (`loadSession`, `commitSession`) and `handle`, which wraps a handler.
 */
export function webSessions<S extends StandardSchema<object>>(options: SessionOptions & { schema: S }): WebSessions<SchemaOutput<S>>;
export function webSessions<T extends object = SessionData>(options?: SessionOptions | SessionManager<T>): WebSessions<T>;
export function webSessions<T extends object = SessionData>(options: SessionOptions | SessionManager<T> = {}): WebSessions<T> {
  const engine = toSessionManager<T>(options);

  async function loadSession(request: Request): Promise<Session<T>> {
    const cookieHeader = request.headers.get('cookie') ?? undefined;
    const loaded = loadFromCookies(engine, cookieHeader);
    const session = loaded instanceof Promise ? await loaded : loaded;
    // No replace: the caller holds the session, so regenerate(callback) empties it in place.
    bindToRequest(session, new WebBinding(session, request));
    return session;
  }

  async function commitSession(session: Session<T>, headers: Headers): Promise<void> {
    const binding = bindingOf(session);
    try {
      const pending = engine.commit(session, binding);
      if (pending.needsPersist) await persistCommit(pending);
      applySessionHeaders(headers, binding ? binding.cookiesWith(pending.setCookies) : pending.setCookies);
    } finally {
      // Committing ends the request as far as sessions go: the `lock` option's lock is given
      // back before this resolves, since a runtime such as workerd cancels what a request
      // left running once its response is out (the lock would then stay taken).
      if (engine.locks) await engine.finish(session);
    }
  }

  const checkCsrf = (request: Request, session: Session<T>) => csrfCheck(engine.csrf, request, session);

  function handle(handler: (request: Request, session: Session<T>) => Response | Promise<Response>) {
    return async (request: Request): Promise<Response> => {
      const session = await loadSession(request);
      let response: Response;
      try {
        const refused = engine.csrf && (await checkCsrf(request, session));
        response = refused ? refused.getResponse() : await runWithSession(session as Session, () => handler(request, session));
      } catch (error) {
        if (engine.locks) await engine.finish(session);
        throw error;
      }
      // Responses from fetch() have immutable headers: copy into a new Response.
      const headers = new Headers(response.headers);
      await commitSession(session, headers);
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    };
  }

  return withUserControls({ engine, loadSession, commitSession, checkCsrf, handle }, engine);
}

/** `checkCsrf`: the form is read from a clone, so the handler still reads the body itself. */
async function csrfCheck(policy: CsrfPolicy | undefined, request: Request, session: object): Promise<CsrfError | undefined> {
  if (!policy || !isUnsafeMethod(request.method)) return undefined;
  const header = request.headers.get(policy.header);
  const body = header === null ? await formOf(request.clone()) : undefined;
  return csrfRefusalFor(policy, session, { method: request.method, header, body });
}

/** A form body's fields, or undefined for any other body (or one that does not parse). */
async function formOf(request: Request): Promise<URLSearchParams | FormData | undefined> {
  const type = request.headers.get('content-type');
  if (!isFormBody(type)) return undefined;
  if (/^application\/x-www-form-urlencoded/i.test(type ?? '')) return new URLSearchParams(await request.text());
  // Multipart: Web standard formData() on every runtime this adapter runs on (Node's types deprecate it for busboy).
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return request.formData().catch(() => undefined);
}

/** A fetch handler with its session, as `handle` takes it. */
export type SessionFetchHandler<T extends object = SessionData> = (request: Request, session: Session<T>) => Response | Promise<Response>;

/** What `requireFresh` answers for a request whose login is too old, e.g. a 303 to the confirm-password page. */
export type StaleHandler<T extends object = SessionData> = (request: Request, session: Session<T>, outcome: StaleOutcome) => Response | Promise<Response>;

/**
 * A guard around a handler: `handle(requireFresh('15m', handler))` runs `handler` only when
 * the session's user proved who they are (`session.markAuthenticated()`, or a login with
 * `userField`) at most `maxAge` ago (seconds or '15m'-style). Otherwise `onStale` answers;
 * without one, a 401 with `{ error: 'reauthentication_required', reason, maxAgeSeconds }`.
 * Needs the `freshness` option. Code that loads its session itself calls `checkFreshness`
 * (from 'sessionkit').
 */
export function requireFresh<T extends object = SessionData>(
  maxAge: number | string,
  handler: SessionFetchHandler<T>,
  options: { onStale?: StaleHandler<T> } = {},
): SessionFetchHandler<T> {
  const maxAgeMs = freshnessMaxAge(maxAge);
  const onStale: StaleHandler<T> = options.onStale ?? ((_request, _session, outcome) => staleResponse(outcome));
  return (request, session) => {
    const outcome = freshnessOf(session, maxAgeMs);
    return outcome.fresh ? handler(request, session) : onStale(request, session, outcome);
  };
}

/** A fetch request's binding: `secure` from its URL; for `bind`, its User-Agent (a Request carries no client address). */
class WebBinding<S extends object> extends RequestBinding<S> {
  readonly #request: Request;

  constructor(session: S, request: Request) {
    super(session, request.url.startsWith('https:'));
    this.#request = request;
  }

  get userAgent(): string | undefined {
    return this.#request.headers.get('user-agent') ?? undefined;
  }
}

export { SessionEngine };
export { InvalidSessionError } from '../schema/invalid-session-error.js';
export type { Session, SessionData, SessionOptions, StaleOutcome };
