/** Per-request facts an adapter knows and the engine needs. */
export interface RequestContext {
  /** The request came over HTTPS (used when cookie.secure is 'auto'). */
  secure?: boolean;
  /** With `bind`: the client's address, as the framework gives it (its proxy settings honoured); read only then. */
  readonly clientAddress?: string | undefined;
  /** With `bind`: the request's User-Agent header; read only then. */
  readonly userAgent?: string | undefined;
}

/**
 * The outcome of committing a session, in two steps because headers and the store are
 * written at different moments: `setCookies` are known at once (an adapter can send it
 * even when the body is already streaming), `persist()` performs the store operations.
 *
 * One exception: with Web Crypto (runtimes without node:crypto, such as Cloudflare
 * Workers) a new cookie value is signed or sealed with a promise. Such a commit has
 * `needsPersist` true and its `setCookies` is complete once `persist()` has resolved;
 * the Web and Hono adapters, the ones those runtimes run, read it only then.
 */
export interface PendingCommit {
  /** Set-Cookie header values to send; empty when no cookie changes. */
  readonly setCookies: readonly string[];
  /** False when there is nothing to write: adapters may then skip `persist()` altogether. */
  readonly needsPersist: boolean;
  persist(): Promise<void>;
  /**
   * The same work as `persist()`, done at once where the store writes synchronously (the
   * memory store, SQLite on a synchronous driver): undefined when it is done, otherwise
   * the promise `persist()` would have given (a store over a network, a lost
   * compare-and-set to merge). Never throws: a failure is a rejected promise. Optional;
   * {@link persistCommit} falls back to `persist()`.
   */
  persistAtOnce?(): Promise<void> | undefined;
}

/**
 * Runs a commit's store work: undefined when it was done at once (no promise turn before
 * the response can go), otherwise a promise. What adapters call instead of `persist()`.
 */
export function persistCommit(pending: PendingCommit): Promise<void> | undefined {
  return pending.persistAtOnce ? pending.persistAtOnce() : pending.persist();
}
