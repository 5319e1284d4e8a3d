import type { ServerResponse } from 'node:http';
import { persistCommit } from '../../core/commit.js';
import type { SessionManager } from '../../core/manager.js';
import type { RequestBinding } from '../../core/request-binding.js';
import type { Session } from '../../engine/session.js';
import { applySessionHeaders, type HeaderTarget } from './headers.js';

type Fn = (...args: unknown[]) => unknown;

/** A node:http response as a {@link HeaderTarget} (also Koa's `ctx.res`). */
export class NodeResponseHeaders implements HeaderTarget {
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

/** Adds Set-Cookie values and Vary to a node:http response that has not sent its headers yet. */
function applyToResponse(res: ServerResponse, setCookies: readonly string[]): void {
  if (!res.headersSent) applySessionHeaders(new NodeResponseHeaders(res), setCookies);
}

/**
 * Commits a session on a node:http response, for every adapter built on ServerResponse
 * (node:http, Express). The store is written before the response ends, so the client's
 * next request sees it; headers are set from the same commit.
 *
 * A handler that streams sends its headers before end(): the cookie is decided then,
 * and the store write still happens at the end with the session's final state.
 * `onError` receives store failures while the response can still report them. The
 * session committed is the binding's current one (`regenerate(callback)` may replace it).
 */
export function commitOnResponse(manager: SessionManager, binding: RequestBinding<Session>, res: ServerResponse, onError: (error: unknown) => void): void {
  // Kept unbound on purpose: they are called with the response as `this`, as Node does.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalWriteHead = res.writeHead as Fn;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const originalEnd = res.end as Fn;
  // 'close' comes once the response ended or the connection went: either way the request is over.
  // Node runs the release to its end after the response: nothing to wait for.
  if (manager.locks) res.once('close', () => void manager.finish(binding.current));

  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    // A head written before end() (a streamed response) carries the cookie; the head that
    // end() writes itself comes after end()'s commit, which has applied the cookie already.
    if (!binding.committed) applyToResponse(res, binding.cookiesWith(manager.commit(binding.current, binding).setCookies));
    return originalWriteHead.apply(this, args);
  } as ServerResponse['writeHead'];

  res.end = function (this: ServerResponse, ...args: unknown[]) {
    // One final commit per request, however often end() is called.
    if (binding.committed) return originalEnd.apply(this, args);
    binding.committed = true;
    const pending = manager.commit(binding.current, binding);
    // The common read-only request writes nothing; an in-process store writes at once.
    const writing = pending.needsPersist ? persistCommit(pending) : undefined;
    if (!writing) {
      applyToResponse(res, binding.cookiesWith(pending.setCookies));
      return originalEnd.apply(res, args);
    }
    writing.then(
      () => {
        applyToResponse(res, binding.cookiesWith(pending.setCookies));
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
