import type { Codec } from '../codec/codec.js';
import { setBounded } from '../core/bounded-map.js';
import { perUserKey, updateRecord } from './per-user-record.js';
import type { AccountState, IssuedSignIn, ResolvedRevocations, SignedIn } from './account-state.js';
import type { Store, StoreRecord } from '../core/store.js';
import type { UserField } from './user-field.js';
import { handleOf } from '../core/handle.js';
import { makeRoom, type SessionLimitOption } from './session-limit.js';

/**
 * Browsers keep no cookie longer than 400 days (RFC 6265bis caps Max-Age and Expires), so a
 * revocation older than that has no cookie left to refuse.
 */
const LONGEST_COOKIE_MS = 400 * 86_400_000;
/** Users whose revocations this process remembers; a miss costs one read, never correctness. */
const CACHE_USERS = 10_000;
/**
 * How much longer than its session's lifetime an ended session's entry is kept: a request
 * that loaded the session before it ended, and seals it again when it finishes, gives that
 * cookie an expiry later by its own duration. Requests take seconds; this covers any but a
 * stuck one.
 */
const IN_FLIGHT_MS = 15 * 60_000;

/**
 * A user's revocations as stored: `b`, the time of their last revoke-all; `s`, the sessions
 * ended one by one (logout, destroy, regenerate), by handle: [refused if signed in at or
 * before this time, kept until this time (when no cookie of it can still open)]. With
 * `maxSessionsPerUser`, `l`: the sessions signed in since, by handle: [signed in at, counted until].
 */
interface StoredRevocations {
  b?: number;
  s?: Record<string, [number, number]>;
  l?: Record<string, [number, number]>;
}

/** A sealed session signed in (with `maxSessionsPerUser`): counted against the limit from `at` until `until`. */
interface LiveSignIn {
  readonly at: number;
  readonly until: number;
}

interface EndedSession {
  /** Its cookies that signed in at or before this time are refused (a later sign-in of the same session is not). */
  readonly through: number;
  readonly until: number;
}

/** A user's revocations as read: what a signed-in cookie is checked against. */
interface UserRevocations {
  /** Every session of the user that signed in before it is refused. */
  readonly generation: number;
  /** Sessions ended one by one, by handle (a hash of the session id, never the id). */
  readonly ended: ReadonlyMap<string, EndedSession>;
  /** With `maxSessionsPerUser`: the sessions signed in and not ended, by handle. */
  readonly live: ReadonlyMap<string, LiveSignIn>;
  /**
   * What `ended` says of the session ids checked against this read of it, so that a session
   * id is hashed once per read of the record (at most once per `maxStale`), not per request.
   */
  readonly endedById: Map<string, EndedSession | undefined>;
}

/** Session ids a read remembers the verdict of; a user has a few sessions, this is only a bound. */
const MEMO_IDS = 1_000;

const NONE: UserRevocations = Object.freeze({
  generation: Number.NEGATIVE_INFINITY,
  ended: new Map<string, EndedSession>(),
  live: new Map<string, LiveSignIn>(),
  endedById: new Map<string, EndedSession | undefined>(),
});

/**
 * Revocation of sealed cookie sessions, which have nothing on the server to delete. Each user
 * has one record in a store the application names, holding
 * - a generation: the time of their last "log out everywhere". A sealed session carries the
 *   time its user signed in (`a` in the payload); one that signed in before its user's
 *   generation is refused. A time rather than a counter, so that a login seals its cookie
 *   without a store read (the cookie is decided synchronously); the cost is that servers'
 *   clocks must agree (NTP keeps them within milliseconds);
 * - the sessions that ended one by one (a logout, destroy() or regenerate() of a signed-in
 *   session), by the handle of their id, so that a copy of such a cookie stops opening too.
 *   Each entry lives only as long as a cookie of its session can, so the record stays small.
 * Both live in the user's record, so that checking a cookie costs the one read (cached) the
 * generation costs already, and anonymous sessions cost nothing.
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
  readonly #cache = new Map<string, { readonly revocations: Promise<UserRevocations>; readonly fetchedAt: number }>();

  /** `keyOf`: the store key of a record's name (the engine's key prefix + name). */
  constructor(revocations: ResolvedRevocations, keyOf: (name: string) => string, settings: { codec: Codec; userField: UserField; maxConflictRetries: number }) {
    this.#store = revocations.store;
    this.#maxStaleMs = revocations.maxStaleMs;
    this.#keyOf = keyOf;
    this.#codec = settings.codec;
    this.#field = settings.userField;
    this.#maxRetries = Math.max(10, settings.maxConflictRetries);
  }

  /** The sign-in a loaded session carries; a session sealed before revocations were on counts as signed in at 0. */
  signedInFrom(data: Readonly<Record<string, unknown>>, signedInAt: number | undefined): SignedIn | undefined {
    const user = this.#field.of(data);
    return user === undefined ? undefined : { user, at: signedInAt ?? 0 };
  }

  /** The sign-in time to seal at commit: kept while the user stays, `now` when a user signs in. */
  signedInAt(state: AccountState, data: Readonly<Record<string, unknown>>, now: number): number | undefined {
    const user = this.#field.of(data);
    if (user === undefined) {
      state.signedIn = undefined;
      return undefined;
    }
    if (state.signedIn?.user !== user) state.signedIn = { user, at: now };
    return state.signedIn.at;
  }

  /** True when the session `id` of this sign-in was revoked: its user's sessions all at once, or it alone. */
  async isRevoked(signedIn: SignedIn, id: string): Promise<boolean> {
    const revocations = await this.#revocationsOf(signedIn.user);
    if (signedIn.at < revocations.generation) return true;
    const ended = revocations.ended.size === 0 ? undefined : endedSession(revocations, id);
    return ended !== undefined && signedIn.at <= ended.through;
  }

  /**
   * At commit: the signed-in cookie the browser holds that this commit leaves behind (a
   * logout, destroy(), regenerate(), another user), to be refused from now on; undefined
   * when there is none. Notes the cookie this commit seals (`sealed`: its sign-in, or
   * undefined when it seals no user or clears the cookie) as the one the browser holds next.
   */
  leftBehind(state: AccountState, sealed: SignedIn | undefined): IssuedSignIn | undefined {
    const issued = state.issuedSignIn;
    state.issuedSignIn = sealed && { user: sealed.user, id: state.id, at: sealed.at };
    return issued && (issued.user !== sealed?.user || issued.id !== state.id) ? issued : undefined;
  }

  /**
   * Refuses from now on the cookies of one session (`issued`: its user and id) that signed
   * in until `now` (the same millisecond included), for as long as one of them can open:
   * `expiresAt`, the latest expiry a cookie of it sealed now gets, and the time requests in
   * flight take.
   */
  async revokeSession(issued: IssuedSignIn, now: number, expiresAt: number): Promise<void> {
    const handle = handleOf(issued.id);
    const updated = await this.#update(issued.user, (current) => {
      const earlier = current.ended.get(handle);
      const through = Math.max(now, issued.at, earlier?.through ?? now);
      const entry = { through, until: Math.max(expiresAt + IN_FLIGHT_MS, earlier?.until ?? 0) };
      if (earlier?.through === entry.through && earlier.until === entry.until && !current.live.has(handle)) return undefined;
      return revocationsOf(current.generation, new Map(current.ended).set(handle, entry), without(current.live, [handle]));
    });
    this.#remember(issued.user, updated);
  }

  /**
   * With `maxSessionsPerUser`: counts the sign-in `issued` among its user's sessions, in
   * the same compare-and-set ending (as `revokeSession` does) those signed in earliest
   * beyond the limit. The server does not hear of a sealed session's later requests, so
   * its sign-in is the last activity it knows; a session is counted until it ends one by
   * one, its user logs out everywhere, or no cookie of it can open any more.
   */
  async signIn(issued: IssuedSignIn, limit: SessionLimitOption): Promise<void> {
    const handle = handleOf(issued.id);
    const updated = await this.#update(issued.user, (current, now) => {
      if (current.live.get(handle)?.at === issued.at) return undefined;
      const others = [...current.live].filter(([other]) => other !== handle).map(([other, { at }]) => ({ handle: other, lastActiveAt: at }));
      const evicted = makeRoom(limit, others);
      const ended = new Map(current.ended);
      for (const other of evicted) {
        const signIn = current.live.get(other)!;
        ended.set(other, { through: signIn.at, until: Math.max(signIn.until, ended.get(other)?.until ?? 0) });
      }
      const live = new Map(without(current.live, evicted)).set(handle, { at: issued.at, until: now + LONGEST_COOKIE_MS });
      return revocationsOf(current.generation, ended, live);
    });
    this.#remember(issued.user, updated);
  }

  /**
   * Refuses from now on every session of the user that signed in before `at`. `keep`, the
   * request's own session, is re-sealed as signed in at `at`, so it stays.
   */
  async revokeAll(userId: string, at: number, keep: AccountState | undefined): Promise<void> {
    const updated = await this.#update(userId, (current) =>
      // Every session counted signed in before `at`: none is left to count.
      current.generation >= at ? undefined : revocationsOf(at, current.ended, new Map()),
    );
    this.#remember(userId, updated);
    if (keep?.signedIn?.user === userId) keep.signedIn = { user: userId, at: updated.generation };
  }

  /** Changes the user's record by compare-and-set; resolves what it holds afterwards. */
  async #update(userId: string, change: (current: UserRevocations, now: number) => UserRevocations | undefined): Promise<UserRevocations> {
    let result = NONE;
    await updateRecord(this.#store, perUserKey(this.#keyOf, 'revoked', userId), this.#maxRetries, (record, now) => {
      const current = this.#decode(record, now);
      const next = change(current, now);
      result = next ?? current;
      return next && this.#encode(next, now);
    });
    return result;
  }

  #remember(userId: string, revocations: UserRevocations): void {
    setBounded(this.#cache, userId, { revocations: Promise.resolve(revocations), fetchedAt: Date.now() }, CACHE_USERS);
  }

  #revocationsOf(userId: string): Promise<UserRevocations> {
    const cached = this.#cache.get(userId);
    if (cached && Date.now() - cached.fetchedAt < this.#maxStaleMs) return cached.revocations;
    const revocations = this.#store.get(perUserKey(this.#keyOf, 'revoked', userId)).then((record) => this.#decode(record, Date.now()));
    // A failed read is not remembered: the next request asks the store again.
    revocations.catch(() => this.#cache.delete(userId));
    if (this.#maxStaleMs > 0) setBounded(this.#cache, userId, { revocations, fetchedAt: Date.now() }, CACHE_USERS);
    return revocations;
  }

  /**
   * The record to store: sessions ended before the generation are covered by it, and those
   * whose cookies can no longer open are dropped, so the record holds only what still refuses.
   */
  #encode(revocations: UserRevocations, now: number): StoreRecord {
    const stored: StoredRevocations = {};
    let expiresAt = now;
    if (Number.isFinite(revocations.generation)) {
      stored.b = revocations.generation;
      expiresAt = revocations.generation + LONGEST_COOKIE_MS;
    }
    for (const [handle, entry] of revocations.ended) {
      // A generation after it refuses the same cookies and more.
      if (entry.until <= now || entry.through < revocations.generation) continue;
      (stored.s ??= {})[handle] = [entry.through, entry.until];
      expiresAt = Math.max(expiresAt, entry.until);
    }
    for (const [handle, entry] of revocations.live) {
      if (entry.until <= now || entry.at < revocations.generation) continue;
      (stored.l ??= {})[handle] = [entry.at, entry.until];
      expiresAt = Math.max(expiresAt, entry.until);
    }
    return { data: this.#codec.encode(stored), expiresAt };
  }

  /** A user's revocations; a record that is not one (absent, foreign, corrupt), or a part of it, revokes nothing. */
  #decode(record: StoreRecord | undefined, now: number): UserRevocations {
    if (!record) return NONE;
    let stored: unknown;
    try {
      stored = this.#codec.decode(record.data);
    } catch {
      return NONE;
    }
    if (typeof stored !== 'object' || stored === null) return NONE;
    const { b, s, l } = stored as { b?: unknown; s?: unknown; l?: unknown };
    const generation = typeof b === 'number' && Number.isFinite(b) ? b : Number.NEGATIVE_INFINITY;
    const ended = new Map<string, EndedSession>();
    for (const [handle, [through, until]] of storedPairs(s, now)) ended.set(handle, { through, until });
    const live = new Map<string, LiveSignIn>();
    for (const [handle, [at, until]] of storedPairs(l, now)) if (at >= generation) live.set(handle, { at, until });
    return revocationsOf(generation, ended, live);
  }
}

function revocationsOf(generation: number, ended: ReadonlyMap<string, EndedSession>, live: ReadonlyMap<string, LiveSignIn>): UserRevocations {
  return { generation, ended, live, endedById: new Map() };
}

/** The entries of a stored map of handle → [time, until] that are well formed and not past `until`; anything else is skipped. */
function storedPairs(stored: unknown, now: number): Array<[string, [number, number]]> {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return [];
  return Object.entries(stored).filter((entry): entry is [string, [number, number]] => isStoredEntry(entry[1]) && entry[1][1] > now);
}

/** `live` without the sessions `handles` name. */
function without(live: ReadonlyMap<string, LiveSignIn>, handles: readonly string[]): ReadonlyMap<string, LiveSignIn> {
  if (!handles.some((handle) => live.has(handle))) return live;
  const kept = new Map(live);
  for (const handle of handles) kept.delete(handle);
  return kept;
}

/** The entry of session `id` among a user's ended sessions, if any. */
function endedSession(revocations: UserRevocations, id: string): EndedSession | undefined {
  const memo = revocations.endedById;
  if (memo.has(id)) return memo.get(id);
  if (memo.size >= MEMO_IDS) memo.clear();
  const ended = revocations.ended.get(handleOf(id));
  memo.set(id, ended);
  return ended;
}

function isStoredEntry(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && Number.isFinite(value[1]);
}
