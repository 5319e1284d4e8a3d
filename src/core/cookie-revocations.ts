import type { Codec } from './codec/codec.js';
import { setBounded } from './bounded-map.js';
import { perUserKey, updateRecord } from './per-user-record.js';
import type { ResolvedRevocations } from './options.js';
import type { SessionState, SignedIn } from './session-state.js';
import type { Store, StoreRecord } from './store.js';
import type { UserField } from './user-field.js';

/**
 * Browsers keep no cookie longer than 400 days (RFC 6265bis caps Max-Age and Expires), so a
 * revocation older than that has no cookie left to refuse.
 */
const LONGEST_COOKIE_MS = 400 * 86_400_000;
/** Users whose revocation time this process remembers; a miss costs one read, never correctness. */
const CACHE_USERS = 10_000;

/**
 * Revocation of sealed cookie sessions, which have nothing on the server to delete. Each user
 * has a generation in a store the application names: the time of their last "log out
 * everywhere". A sealed session carries the time its user signed in (`a` in the payload);
 * one that signed in before its user's generation is refused. A time rather than a counter,
 * so that a login seals its cookie without a store read (the cookie is decided synchronously);
 * the cost is that servers' clocks must agree (NTP keeps them within milliseconds).
 *
 * Reads go through an in-process cache: a server may accept a revoked cookie for at most
 * `maxStaleMs` after the revocation (0: read the store on every request of a signed-in user).
 * The server that revokes knows at once.
 */
export class CookieRevocations {
  readonly #store: Store;
  readonly #keyOf: (name: string) => string;
  readonly #codec: Codec;
  readonly #maxStaleMs: number;
  readonly #maxRetries: number;
  readonly #field: UserField;
  readonly #cache = new Map<string, { readonly before: Promise<number>; readonly fetchedAt: number }>();

  constructor(revocations: ResolvedRevocations, keyOf: (name: string) => string, codec: Codec, field: UserField, maxRetries: number) {
    this.#store = revocations.store;
    this.#maxStaleMs = revocations.maxStaleMs;
    this.#keyOf = keyOf;
    this.#codec = codec;
    this.#field = field;
    this.#maxRetries = Math.max(10, maxRetries);
  }

  /** The sign-in a loaded session carries; a session sealed before revocations were on counts as signed in at 0. */
  signedInFrom(data: Readonly<Record<string, unknown>>, signedInAt: number | undefined): SignedIn | undefined {
    const user = this.#field.of(data);
    return user === undefined ? undefined : { user, at: signedInAt ?? 0 };
  }

  /** The sign-in time to seal at commit: kept while the user stays, `now` when a user signs in. */
  signedInAt(state: SessionState, data: Readonly<Record<string, unknown>>, now: number): number | undefined {
    const user = this.#field.of(data);
    if (user === undefined) {
      state.signedIn = undefined;
      return undefined;
    }
    if (state.signedIn?.user !== user) state.signedIn = { user, at: now };
    return state.signedIn.at;
  }

  /** True when the session's user was revoked after it signed in. */
  async isRevoked(signedIn: SignedIn): Promise<boolean> {
    return signedIn.at < (await this.#generation(signedIn.user));
  }

  /**
   * Refuses from now on every session of the user that signed in before `at`. `keep`, the
   * request's own session, is re-sealed as signed in at `at`, so it stays.
   */
  async revokeAll(userId: string, at: number, keep: SessionState | undefined): Promise<void> {
    const key = perUserKey(this.#keyOf, 'revoked', userId);
    let generation = at;
    await updateRecord(this.#store, key, this.#maxRetries, (current) => {
      const stored = this.#decode(current);
      generation = Math.max(stored, at);
      return stored >= at ? undefined : { data: this.#codec.encode({ b: at }), expiresAt: at + LONGEST_COOKIE_MS };
    });
    setBounded(this.#cache, userId, { before: Promise.resolve(generation), fetchedAt: Date.now() }, CACHE_USERS);
    if (keep?.signedIn?.user === userId) keep.signedIn = { user: userId, at: generation };
  }

  #generation(userId: string): Promise<number> {
    const cached = this.#cache.get(userId);
    if (cached && Date.now() - cached.fetchedAt < this.#maxStaleMs) return cached.before;
    const before = this.#store.get(perUserKey(this.#keyOf, 'revoked', userId)).then((record) => this.#decode(record));
    // A failed read is not remembered: the next request asks the store again.
    before.catch(() => this.#cache.delete(userId));
    if (this.#maxStaleMs > 0) setBounded(this.#cache, userId, { before, fetchedAt: Date.now() }, CACHE_USERS);
    return before;
  }

  /** A user's generation; a record that is not one (absent, foreign, corrupt) revokes nothing. */
  #decode(record: StoreRecord | undefined): number {
    if (!record) return Number.NEGATIVE_INFINITY;
    try {
      const stored = this.#codec.decode(record.data) as { b?: unknown } | null;
      return typeof stored?.b === 'number' && Number.isFinite(stored.b) ? stored.b : Number.NEGATIVE_INFINITY;
    } catch {
      return Number.NEGATIVE_INFINITY;
    }
  }
}
