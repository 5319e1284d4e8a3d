import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { SessionEngine, toSessionManager } from '../core/engine.js';
import type { PendingCommit, SessionManager } from '../core/manager.js';
import { runWithSession } from '../core/request-context.js';
import { applySessionHeaders, type HeaderTarget } from './shared/headers.js';
import { loadForRequest } from './shared/load.js';
import type { SessionOptions } from '../core/options.js';
import type { Session, SessionData } from '../core/session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session, typed by sessionkit's `SessionData` interface. */
    session: Session;
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
  fastify.decorateRequest('session', null as unknown as Session);
  // One commit per request: when it fails, the error handler's own reply passes through
  // onSend again and must not retry (and fail) the same commit.
  const committed = new WeakSet<FastifyRequest>();

  fastify.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, next: (error?: Error) => void) => {
    const start = (session: Session) => {
      request.session = session;
      runWithSession(session, () => next());
    };
    loadForRequest(engine, request.headers.cookie, start, (error) => next(error as Error));
  });

  // Callback style, not async: a request that writes nothing finishes without a promise.
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => {
    if (!request.session || committed.has(request)) {
      done(null, payload); // onRequest failed, or committed already
      return;
    }
    committed.add(request);
    const pending = engine.commit(request.session, { secure: request.protocol === 'https' });
    if (!pending.needsPersist) {
      applyHeaders(reply, pending);
      done(null, payload);
      return;
    }
    pending.persist().then(
      () => {
        applyHeaders(reply, pending);
        done(null, payload);
      },
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  });
  done();
};

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

function applyHeaders(reply: FastifyReply, pending: PendingCommit): void {
  applySessionHeaders(new ReplyHeaders(reply), pending.setCookies);
}

/** Fastify passes its own registration options (prefix, logLevel) beside ours. */
function withoutFastifyKeys(options: SessionOptions): SessionOptions {
  const { prefix: _prefix, logLevel: _logLevel, logSerializers: _logSerializers, ...rest } = options as SessionOptions & Record<string, unknown>;
  return rest;
}

// The equivalent of fastify-plugin: register the hooks on the parent scope, so the
// session applies to every route of the app, not only those inside this plugin.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'sessionkit',
});

export const sessionkit = plugin;
export { SessionEngine };
export type { Session, SessionData, SessionOptions };
