import { context, trace, type Tracer } from '@opentelemetry/api';
import type { PendingCommit, RequestContext, SessionManager } from '../core/manager.js';
import { endWithError } from './errors.js';

/**
 * A span for each request's session load (`sessionkit load`, with whether the session is
 * new) and commit (`sessionkit commit`, until its store work is done), by wrapping the
 * manager's own `load`, `loadSync` and `commit`: only an instrumented manager pays for them.
 */
export function instrumentManager(manager: SessionManager, tracer: Tracer): () => void {
  const load = manager.load.bind(manager);
  const loadSync = manager.loadSync.bind(manager);
  const commit = manager.commit.bind(manager);
  const own = new Set(Object.getOwnPropertyNames(manager));
  manager.load = async (cookieHeader, kind) => {
    const span = tracer.startSpan('sessionkit load');
    try {
      const session = await context.with(trace.setSpan(context.active(), span), () => load(cookieHeader, kind));
      span.setAttribute('sessionkit.session.new', session.isNew);
      span.end();
      return session;
    } catch (error) {
      endWithError(span, error);
      throw error;
    }
  };
  manager.loadSync = (cookieHeader, kind) => {
    const span = tracer.startSpan('sessionkit load');
    try {
      const session = loadSync(cookieHeader, kind);
      span.setAttribute('sessionkit.session.new', session.isNew);
      span.end();
      return session;
    } catch (error) {
      endWithError(span, error);
      throw error;
    }
  };
  manager.commit = (session, requestContext?: RequestContext) => traced(tracer, commit(session, requestContext));
  const saved = { load, loadSync, commit };
  return () => {
    // Back to the prototype's methods, or to the manager's own where it had them.
    for (const name of ['load', 'loadSync', 'commit'] as const) {
      if (own.has(name)) Object.assign(manager, { [name]: saved[name] });
      else delete (manager as Partial<typeof saved>)[name];
    }
  };
}

/** A commit inside a `sessionkit commit` span that ends when its store work does (at once when there is none). */
function traced(tracer: Tracer, pending: PendingCommit): PendingCommit {
  const span = tracer.startSpan('sessionkit commit');
  if (!pending.needsPersist) {
    span.end();
    return pending;
  }
  const run = (work: () => Promise<void> | undefined): Promise<void> | undefined => {
    const running = context.with(trace.setSpan(context.active(), span), work);
    if (!running) {
      span.end();
      return undefined;
    }
    return running.then(
      () => span.end(),
      (error: unknown) => {
        endWithError(span, error);
        throw error;
      },
    );
  };
  return {
    setCookies: pending.setCookies,
    needsPersist: true,
    persist: () => run(() => pending.persist())!,
    persistAtOnce: pending.persistAtOnce && (() => run(() => pending.persistAtOnce!())),
  };
}
