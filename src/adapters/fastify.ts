import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { runWithSession } from '../core/request-context.js';
import { varyWithCookie } from '../core/cookie-header.js';
import { SessionEngine, type PendingCommit, type SessionManager } from '../core/engine.js';
import { loadForRequest, toSessionManager } from '../core/manager.js';
import type { SessionOptions } from '../core/options.js';
import type { Session, SessionData } from '../core/session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's session, typed by sessionkit's `SessionData` interface. */
    session: Session<SessionData>;
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
  (fastify as FastifyInstance).decorateRequest('session', null as unknown as Session);
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
      (error: Error) => done(error),
    );
  });
  done();
};

function applyHeaders(reply: FastifyReply, pending: PendingCommit): void {
  const vary = varyWithCookie(reply.getHeader('vary')?.toString());
  if (vary) reply.header('vary', vary);
  for (const cookie of pending.setCookies) reply.header('set-cookie', cookie);
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
