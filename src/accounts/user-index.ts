import { handleOf } from '../core/handle.js';
import type { Codec } from '../codec/codec.js';
import { perUserKey, updateRecord } from './per-user-record.js';
import { SessionConfigError } from '../core/errors.js';
import type { Store, StoreRecord } from '../core/store.js';

/**
 * One session of a user, as the index records it. `until` is how long the entry must
 * outlive the session (its record may be refreshed up to then); a revoked entry stays as
 * a tombstone until then, so that a request still in flight sees that its session was
 * revoked and does not bring it back.
 */
export interface IndexEntry {
  readonly id: string;
  readonly until: number;
  readonly revoked: boolean;
  /** When the session last wrote its entry (its login, or an extension); 0 for an entry stored before this was kept. */
  readonly at: number;
}

/**
 * How an index record is stored: handle → [session id, until, revoked (1) or live (0), at].
 * `at` came later: an entry stored without it reads as written at 0.
 */
type StoredIndex = Record<string, [string, number, 0 | 1] | [string, number, 0 | 1, number]>;

/**
 * With a session limit (./session-limit.ts): the handles of the user's sessions to end so
 * that one more fits, given the user's entries as the compare-and-set read them; it throws
 * to refuse the session.
 */
export type MakeRoom = (entries: ReadonlyMap<string, IndexEntry>, now: number) => Promise<string[]>;

/** What adding a session came to: refused by a tombstone (`revoked`), or added, ending `evicted` (their ids) to make room. */
export interface Added {
  readonly revoked: boolean;
  readonly evicted: readonly string[];
}

/** An emptied index expires a little later rather than being deleted (see `#update`). */
const EMPTY_INDEX_MS = 60_000;

/**
 * The index from one user to the ids of their sessions, kept in the sessions' own store
 * as one record per user and changed only by compare-and-set, so that two logins, a login
 * and a logout, or a login and a "log out everywhere" never lose each other's change.
 * One record per user (not one per session) keeps it to plain get/create/setIf, which
 * every store has, Redis Cluster included (one key, one slot).
 */
export class UserIndex {
  readonly #store: Store;
  readonly #keyOf: (name: string) => string;
  readonly #codec: Codec;
  readonly #maxRetries: number;

  constructor(store: Store, keyOf: (name: string) => string, codec: Codec, maxRetries: number) {
    if (!store.create || !store.setIf) {
      throw new SessionConfigError(
        `userField needs a store with insert-if-absent (create) and compare-and-set (setIf) to keep its index of users correct; the ${store.name} store lacks them. Use a store with compare-and-set (every sessionkit store but null and workers-kv; on Workers: d1 or durable-object).`,
      );
    }
    this.#store = store;
    this.#keyOf = keyOf;
    this.#codec = codec;
    this.#maxRetries = Math.max(10, maxRetries);
  }

  keyOf(userId: string): string {
    return perUserKey(this.#keyOf, 'user', userId);
  }

  /** The user's entries that are not past their `until`, revoked ones included. */
  async entries(userId: string): Promise<Map<string, IndexEntry>> {
    return this.#decode(await this.#store.get(this.keyOf(userId)), Date.now());
  }

  /**
   * Records that session `id` belongs to the user until `until`. `revoked` when the entry
   * is a tombstone: the session was revoked, and must not be written. With `room` (a
   * session limit), a session new to the index first makes room: the sessions it names
   * become tombstones in the same compare-and-set (their ids in `evicted`, for the caller
   * to delete), or it throws and nothing is written.
   */
  async add(userId: string, id: string, until: number, room?: MakeRoom): Promise<Added> {
    let added: Added = { revoked: false, evicted: [] };
    await this.#update(userId, async (entries, now) => {
      const handle = handleOf(id);
      const entry = entries.get(handle);
      added = { revoked: entry?.revoked === true, evicted: [] };
      if (entry?.revoked || (entry && entry.until >= until)) return false;
      const evicted: string[] = [];
      for (const ended of entry || !room ? [] : await room(entries, now)) {
        const other = entries.get(ended)!;
        entries.set(ended, { ...other, revoked: true });
        evicted.push(other.id);
      }
      added = { revoked: false, evicted };
      entries.set(handle, { id, until, revoked: false, at: now });
      return true;
    });
    return added;
  }

  /** True while session `id` has a live (not revoked) entry. */
  async isLive(userId: string, id: string): Promise<boolean> {
    const entry = (await this.entries(userId)).get(handleOf(id));
    return entry !== undefined && !entry.revoked;
  }

  /** Forgets session `id` (logged out, destroyed, or now another user's). A tombstone stays. */
  async remove(userId: string, id: string): Promise<void> {
    await this.#update(userId, (entries) => {
      const handle = handleOf(id);
      if (entries.get(handle)?.revoked !== false) return false;
      return entries.delete(handle);
    });
  }

  /**
   * Turns the live entries `select` picks into tombstones, in one compare-and-set, and
   * resolves the ids they named: the caller deletes their records. A login that lands
   * after this write is a login after the revocation.
   */
  async revoke(userId: string, select: (handle: string) => boolean): Promise<string[]> {
    let ids: string[] = [];
    await this.#update(userId, (entries) => {
      ids = [];
      for (const [handle, entry] of entries) {
        if (entry.revoked || !select(handle)) continue;
        entries.set(handle, { ...entry, revoked: true });
        ids.push(entry.id);
      }
      return ids.length > 0;
    });
    return ids;
  }

  async #update(userId: string, change: (entries: Map<string, IndexEntry>, now: number) => boolean | Promise<boolean>): Promise<void> {
    // Never deletes an emptied index: a delete cannot be made conditional everywhere, and
    // would lose an entry another request added meanwhile. It expires instead.
    await updateRecord(this.#store, this.keyOf(userId), this.#maxRetries, async (current, now) => {
      const entries = this.#decode(current, now);
      return (await change(entries, now)) ? this.#encode(entries, now) : undefined;
    });
  }

  #encode(entries: Map<string, IndexEntry>, now: number): StoreRecord {
    const stored: StoredIndex = {};
    let expiresAt = entries.size === 0 ? now + EMPTY_INDEX_MS : 0;
    for (const [handle, entry] of entries) {
      stored[handle] = [entry.id, entry.until, entry.revoked ? 1 : 0, entry.at];
      expiresAt = Math.max(expiresAt, entry.until);
    }
    return { data: this.#codec.encode(stored), expiresAt };
  }

  /** The entries of an index record; a record that is not an index (foreign, corrupt) counts as empty. */
  #decode(record: StoreRecord | undefined, now: number): Map<string, IndexEntry> {
    const entries = new Map<string, IndexEntry>();
    if (!record) return entries;
    let stored: unknown;
    try {
      stored = this.#codec.decode(record.data);
    } catch {
      return entries;
    }
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return entries;
    for (const [handle, value] of Object.entries(stored)) {
      if (!isStoredEntry(value) || value[1] <= now) continue;
      entries.set(handle, { id: value[0], until: value[1], revoked: value[2] === 1, at: value[3] ?? 0 });
    }
    return entries;
  }
}

function isStoredEntry(value: unknown): value is StoredIndex[string] {
  return (
    Array.isArray(value) &&
    (value.length === 3 || (value.length === 4 && Number.isFinite(value[3]))) &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    Number.isFinite(value[1]) &&
    (value[2] === 0 || value[2] === 1)
  );
}

