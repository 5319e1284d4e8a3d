import type { ServerResponse } from 'node:http';
import { varyWithCookie } from '../core/cookie-header.js';
import type { PendingCommit, RequestContext, SessionManager } from '../core/engine.js';
import type { Session } from '../core/session.js';

type Fn = (...args: unknown[]) => unknown;

/**
 * Commits a session on a node:http response, for every adapter built on ServerResponse
 * (node:http, Express, Fastify, Koa). The store is written before the response ends,
 * so the client's next request sees it; headers are set from the same commit.
 *
 * A handler that streams sends its headers before end(): the cookie is decided then,
 * and the store write still happens at the end with the session's final state.
 * `onError` receives store failures while the response can still report them.
 */
export function commitOnResponse(
  engine: SessionManager,
  session: Session,
  res: ServerResponse,
  context: RequestContext,
  onError: (error: unknown) => void,
): void {
  const originalWriteHead = res.writeHead as Fn;
  const originalEnd = res.end as Fn;
  let ending = false;

  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!ending) applySessionHeaders(res, engine.commit(session, context));
    return originalWriteHead.apply(this, args);
  } as ServerResponse['writeHead'];

  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (ending) return originalEnd.apply(this, args);
    ending = true;
    const pending = engine.commit(session, context);
    if (!pending.needsPersist) {
      // The common read-only request: no store write, so no need to wait for one.
      if (!res.headersSent) applySessionHeaders(res, pending);
      return originalEnd.apply(res, args);
    }
    pending.persist().then(
      () => {
        if (!res.headersSent) applySessionHeaders(res, pending);
        originalEnd.apply(res, args);
      },
      (error: unknown) => {
        res.writeHead = originalWriteHead as ServerResponse['writeHead'];
        res.end = originalEnd as ServerResponse['end'];
        if (res.headersSent) res.destroy(error instanceof Error ? error : new Error(String(error)));
        else onError(error);
      },
    );
    return res;
  } as ServerResponse['end'];
}

/** Adds Vary: Cookie and the session's Set-Cookie, keeping headers the application set. */
export function applySessionHeaders(res: ServerResponse, pending: PendingCommit): void {
  const vary = varyWithCookie(res.getHeader('Vary')?.toString());
  if (vary) res.setHeader('Vary', vary);
  if (pending.setCookies.length === 0) return;
  const existing = res.getHeader('Set-Cookie');
  const before = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Set-Cookie', [...before, ...pending.setCookies]);
}
