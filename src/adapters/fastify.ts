import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { CsrfPolicy } from '../core/manager.js';
import { persistCommit } from '../core/commit.js';
import { SessionEngine, toSessionManager } from '../engine/engine.js';
import type { SessionManager } from '../core/manager.js';
import type { SessionOptions } from '../engine/options.js';
import { RequestBinding } from '../core/request-binding.js';
import { runWithSession } from '../engine/request-context.js';
import { bindingOf, bindToRequest, type Session, type SessionData } from '../engine/session.js';
import { FastifySessionObject, type FastifySession } from './fastify-session.js';
import { applySessionHeaders, type HeaderTarget } from './shared/headers.js';
import { csrfRefusalFor } from './shared/csrf.js';
import { loadForRequest } from './shared/load.js';
import { sessionOf } from './shared/session-of.js';
import { withUserControls, type SessionControls } from './shared/user-controls.js';
import { freshnessMaxAge, freshnessOf, staleBody, type StaleOutcome } from '../freshness/check.js';
import { STALE_STATUS } from './shared/stale.js';
import type { SchemaOutput, StandardSchema } from '../schema/standard-schema.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session, typed by sessionkit's `SessionData` interface, with @fastify/session's API. */
    session: FastifySession;
  }
  interface FastifyInstance {
    /** A user's sessions (with the `userField` option): `app.sessions.revokeSessions(userId, { except: request.session })`. */
    sessions: SessionControls;
  }
}

/**
 * A Fastify request's binding: `request.protocol` honours trustProxy and is worked out
 * only when a cookie needs it; a replacement session goes to `request.session`.
 */
class FastifyBinding extends RequestBinding<Session> {
  readonly #request: FastifyRequest;

  constructor(session: Session, request: FastifyRequest) {
    super(session);
    this.#request = request;
  }

  override get secure(): boolean {
    return this.#request.protocol === 'https';
  }

  /** For `bind`: Fastify's request.ip honours trustProxy. */
  get clientAddress(): string {
    return this.#request.ip;
  }

  get userAgent(): string | undefined {
    return this.#request.headers['user-agent'];
  }

  override replace(session: Session): void {
    this.#request.session = session as FastifySession;
  }
}

/**
 * Fastify 4 and 5 plugin: `await app.register(sessionkit, { store, secret })`, then
 * `request.session` in every route. Reads the Cookie header itself, so it works with
 * or without @fastify/cookie. The session is saved in the onSend hook, before the
 * response leaves; a store failure goes to Fastify's error handler. With
 * `cookie.secure: 'auto'`, the cookie is Secure when `request.protocol` is https
 * (which honours `trustProxy`).
 */
const plugin: FastifyPluginCallback<SessionOptions | { engine: SessionManager }> = (fastify, options, done) => {
  const engine = 'engine' in options ? options.engine : toSessionManager(withoutFastifyKeys(options));
  fastify.decorateRequest('session', null as unknown as FastifySession);
  fastify.decorate('sessions', withUserControls({}, engine));
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, next: (error?: Error) => void) => {
    const start = (session: Session) => {
      request.session = session as FastifySession;
      // 'close' comes once the response ended or the connection went: either way the request is over.
      if (engine.locks) reply.raw.once('close', () => void engine.finish(request.session));
      bindToRequest(session, new FastifyBinding(session, request));
      runWithSession(session, next);
    };
    loadForRequest(engine, request.headers.cookie, { onSession: start, onError: (error) => next(error as Error) }, FastifySessionObject);
  });

  if (engine.csrf) addCsrfCheck(fastify, engine.csrf);

  // Callback style, not async: a request that writes nothing finishes without a promise.
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => {
    const session = request.session;
    const binding = session ? bindingOf(session) : undefined;
    // One commit per request: when it fails, the error handler's own reply passes through
    // onSend again and must not retry (and fail) the same commit.
    if (!session || binding?.committed) {
      done(null, payload); // onRequest failed, or committed already
      return;
    }
    if (binding) binding.committed = true;
    const pending = engine.commit(session, binding);
    // Most requests write nothing; an in-process store writes at once: no promise either way.
    const writing = pending.needsPersist ? persistCommit(pending) : undefined;
    if (!writing) {
      applyHeaders(reply, binding, pending.setCookies);
      done(null, payload);
      return;
    }
    writing.then(
      () => {
        applyHeaders(reply, binding, pending.setCookies);
        done(null, payload);
      },
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  });
  done();
};

/** The `csrf` option's check, in preHandler: after the body is parsed, for the form field. */
function addCsrfCheck(fastify: FastifyInstance, policy: CsrfPolicy): void {
  fastify.addHook('preHandler', (request: FastifyRequest, _reply: FastifyReply, next: (error?: Error) => void) => {
    next(csrfRefusalFor(policy, request.session, { method: request.method, header: request.headers[policy.header], body: request.body }));
  });
}

/** A Fastify reply as a {@link HeaderTarget}: `reply.header()` appends Set-Cookie values. */
class ReplyHeaders implements HeaderTarget {
  readonly #reply: FastifyReply;

  constructor(reply: FastifyReply) {
    this.#reply = reply;
  }

  get(name: string): string | undefined {
    return this.#reply.getHeader(name)?.toString();
  }

  set(name: string, value: string): void {
    this.#reply.header(name, value);
  }

  append(name: string, value: string): void {
    this.#reply.header(name, value);
  }
}


/** Adds the Set-Cookie values of earlier saves and of the final commit, and Vary. */
function applyHeaders(reply: FastifyReply, binding: Pick<RequestBinding, 'cookiesWith'> | undefined, setCookies: readonly string[]): void {
  applySessionHeaders(new ReplyHeaders(reply), binding ? binding.cookiesWith(setCookies) : setCookies);
}

/** Fastify passes its own registration options (prefix, logLevel) beside ours. */
function withoutFastifyKeys(options: SessionOptions): SessionOptions {
  const { prefix: _prefix, logLevel: _logLevel, logSerializers: _logSerializers, ...rest } = options as SessionOptions & Record<string, unknown>;
  return rest;
}

/**
 * The equivalent of fastify-plugin: register the hooks on the parent scope, so the
 * session applies to every route of the app, not only those inside this plugin.
 */
function onParentScope<P extends object>(registered: P): P {
  return Object.assign(registered, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'sessionkit',
  });
}

export const sessionkit = onParentScope(plugin);

/** What `sessionPlugin()` returns: the plugin to register, the user's sessions, and `of(request)`. */
export type SessionPlugin<T extends object = SessionData> = FastifyPluginCallback &
  SessionControls & {
    /**
     * `request.session`, typed with this plugin's session data (the `schema`'s output):
     * Fastify declares `request.session` once for every app, so registering a plugin cannot
     * type it per app, but the value it was made from can. Throws when the plugin did not run
     * for `request`.
     */
    readonly of: (request: FastifyRequest) => FastifySession<T>;
  };

/**
 * The plugin with its options given here rather than to `register`, so that what it returns
 * knows the session's type: `const sessions = sessionPlugin({ store, secret, schema });
 * await app.register(sessions);` then `sessions.of(request)` is typed from the schema. The
 * same plugin as `app.register(sessionkit, options)`, which suits an app that declares
 * `SessionData` (or has no schema).
 */
export function sessionPlugin<S extends StandardSchema<object>>(options: SessionOptions & { schema: S }): SessionPlugin<SchemaOutput<S>>;
export function sessionPlugin<T extends object = SessionData>(options?: SessionOptions | SessionManager<T>): SessionPlugin<T>;
export function sessionPlugin(options: SessionOptions | SessionManager = {}): SessionPlugin {
  const engine = toSessionManager(options);
  const registered: FastifyPluginCallback = (fastify, _registerOptions, done) => {
    plugin(fastify, { engine }, done);
  };
  const of = (request: FastifyRequest) => sessionOf(request.session as FastifySession | null, 'await app.register(sessions)');
  return withUserControls(Object.assign(onParentScope(registered), { of }), engine);
}

/** What `requireFresh` does with a request whose login is too old: answer it, typically `reply.redirect('/confirm-password')`. */
export type StaleHandler = (request: FastifyRequest, reply: FastifyReply, outcome: StaleOutcome) => unknown;

/**
 * A preHandler for sensitive routes: `app.post('/email', { preHandler: requireFresh('15m') }, handler)`
 * runs the handler only when the session's user proved who they are
 * (`request.session.markAuthenticated()`, or a login with `userField`) at most `maxAge` ago
 * (seconds or '15m'-style). Otherwise `onStale` answers; without one, a 401 with
 * `{ error: 'reauthentication_required', reason, maxAgeSeconds }`. Needs the `freshness` option.
 */
export function requireFresh(maxAge: number | string, options: { onStale?: StaleHandler } = {}): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
  const maxAgeMs = freshnessMaxAge(maxAge);
  const onStale = options.onStale;
  return async (request, reply) => {
    const outcome = freshnessOf(request.session, maxAgeMs);
    if (outcome.fresh) return undefined;
    if (!onStale) return reply.code(STALE_STATUS).send(staleBody(outcome));
    // Never awaited as such: a reply is a thenable that settles once the response has gone.
    const answered = onStale(request, reply, outcome);
    if (answered instanceof Promise) await answered;
    // An async hook that answered returns the reply: Fastify then runs no handler.
    return reply;
  };
}

export { SessionEngine };
export { InvalidSessionError } from '../schema/invalid-session-error.js';
export type { FastifySession, Session, SessionData, SessionOptions, StaleOutcome };
