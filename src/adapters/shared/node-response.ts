import type { ServerResponse } from 'node:http';
import type { PendingCommit, RequestContext, SessionManager } from '../../core/manager.js';
import type { Session } from '../../core/session.js';
import { applySessionHeaders, type HeaderTarget } from './headers.js';

type Fn = (...args: unknown[]) => unknown;

/** A node:http response as a {@link HeaderTarget}. */
class NodeResponseHeaders implements HeaderTarget {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get(name: string): string | undefined {
    return this.#res.getHeader(name)?.toString();
  }

  set(name: string, value: string): void {
    this.#res.setHeader(name, value);
  }

  append(name: string, value: string): void {
    this.#res.appendHeader(name, value);
  }
}

/** Adds a commit's headers to a node:http response that has not sent them yet. */
function applyToResponse(res: ServerResponse, pending: PendingCommit): void {
  if (!res.headersSent) applySessionHeaders(new NodeResponseHeaders(res), pending.setCookies);
}

/**
 * Commits a session on a node:http response, for every adapter built on ServerResponse
 * (node:http, Express). The store is written before the response ends, so the client's
 * next request sees it; headers are set from the same commit.
 *
 * A handler that streams sends its headers before end(): the cookie is decided then,
 * and the store write still happens at the end with the session's final state.
 * `onError` receives store failures while the response can still report them.
 */
export function commitOnResponse(
  manager: SessionManager,
  session: Session,
  res: ServerResponse,
  context: RequestContext,
  onError: (error: unknown) => void,
): void {
  // Kept unbound on purpose: they are called with the response as `this`, as Node does.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalWriteHead = res.writeHead as Fn;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalEnd = res.end as Fn;
  let ending = false;

  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!ending) applyToResponse(res, manager.commit(session, context));
    return originalWriteHead.apply(this, args);
  } as ServerResponse['writeHead'];

  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (ending) return originalEnd.apply(this, args);
    ending = true;
    const pending = manager.commit(session, context);
    if (!pending.needsPersist) {
      // The common read-only request: no store write, so no need to wait for one.
      applyToResponse(res, pending);
      return originalEnd.apply(res, args);
    }
    pending.persist().then(
      () => {
        applyToResponse(res, pending);
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
