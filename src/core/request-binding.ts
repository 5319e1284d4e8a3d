import type { RequestContext } from './commit.js';

/**
 * What a session needs from the request it belongs to, for the operations that act at
 * once rather than at the end of the request (express-session's `save(cb)` and
 * `regenerate(cb)`, which Passport calls). Each adapter makes one per request.
 */
export class RequestBinding<S extends object = object> {
  /** The session that answers for the request now: `regenerate(callback)` puts a new one here. */
  current: S;
  readonly context: RequestContext;
  /** Puts a new session where the application finds it (`req.session = …`); absent where it cannot. */
  readonly replace: ((session: S) => void) | undefined;
  /** Set by an adapter once the request's final commit ran, where a response can pass its hook twice (Fastify's error reply). */
  committed = false;
  #pendingCookies: string[] | undefined;

  constructor(session: S, context: RequestContext, replace?: (session: S) => void) {
    this.current = session;
    this.context = context;
    this.replace = replace;
  }

  /** Set-Cookie values of a save made during the request, sent with the response's headers. */
  sendCookies(setCookies: readonly string[]): void {
    (this.#pendingCookies ??= []).push(...setCookies);
  }

  /**
   * The Set-Cookie values to send with the headers: those of earlier saves and the final
   * commit's, one per cookie name — the latest, which describes the session as it ends.
   */
  cookiesWith(final: readonly string[]): readonly string[] {
    const pending = this.#pendingCookies;
    if (!pending) return final;
    this.#pendingCookies = undefined;
    const latest = new Map<string, string>();
    for (const cookie of [...pending, ...final]) {
      const name = cookie.slice(0, cookie.indexOf('='));
      latest.delete(name); // keep the order in which the latest values were made
      latest.set(name, cookie);
    }
    return [...latest.values()];
  }
}
