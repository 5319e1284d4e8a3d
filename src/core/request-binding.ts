import type { RequestContext } from './commit.js';

/**
 * What a session needs from the request it belongs to, for the operations that act at
 * once rather than at the end of the request (express-session's `save(cb)` and
 * `regenerate(cb)`, which Passport calls). Each adapter makes exactly one per request,
 * and it is also the request's context for `commit`: an adapter subclasses it to answer
 * `secure` from its framework's request and to implement `replace`, so the request path
 * allocates one object here, not a binding, a context and a closure.
 */
export class RequestBinding<S extends object = object> implements RequestContext {
  /** The session that answers for the request now: `regenerate(callback)` puts a new one here. */
  current: S;
  /**
   * Set by an adapter once the request's final commit ran, where the response can reach
   * its hook twice: Fastify's error reply goes through onSend again, and node:http's end()
   * writes the head through the wrapped writeHead (./adapters/shared/node-response.ts).
   */
  committed = false;
  readonly #secure: boolean | undefined;
  #pendingCookies: string[] | undefined;

  /** `secure`: whether the request came over https, where it is known up front (subclasses work it out when asked instead). */
  constructor(session: S, secure?: boolean) {
    this.current = session;
    this.#secure = secure;
  }

  /** For `cookie.secure: 'auto'`: the request came over https. */
  get secure(): boolean | undefined {
    return this.#secure;
  }

  /**
   * Puts a new session where the application finds it (`req.session = …`). Adapters whose
   * application holds the session itself (node's handler argument, web's) leave it out,
   * and `regenerate(callback)` then empties the session in place.
   */
  replace?(session: S): void;

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
