import type { Carrier } from '../core/carrier.js';
import type { UserSession } from '../core/manager.js';
import type { Codec } from '../codec/codec.js';
import type { AccountState, IndexedAs, StoredSession } from './account-state.js';
import type { Store, StoreRecord } from '../core/store.js';
import type { UserField } from './user-field.js';
import { UserIndex, type IndexEntry, type MakeRoom } from './user-index.js';
import { handleOf } from '../core/handle.js';
import { endedMarkerName, revokedMarker } from '../core/ended-marker.js';
import type { EventSink } from '../core/events.js';
import { makeRoom, type CountedSession, type SessionLimitOption } from './session-limit.js';
import { EXCEPT_TAKES, NO_ACCOUNT_WORK, type Accounts, type AccountsPlan, type PlanTimes, type StoredAccountFields } from './accounts.js';

interface UserSessionsSettings {
  readonly codec: Codec;
  /** Reads a session's record back, to list it. */
  readonly decode: (record: StoreRecord) => StoredSession | undefined;
  readonly userField: UserField;
  readonly listedFields: readonly string[];
  readonly lifetimeMs: number;
  readonly maxConflictRetries: number;
  /** `maxSessionsPerUser` and `onLimit`; undefined without a limit. */
  readonly limit: SessionLimitOption | undefined;
  /** Where sessions the limit ended are reported (a `revoked` event). */
  readonly events: EventSink;
}

/**
 * An entry is written before its session's record: one whose record is not there counts
 * as a login still writing it for this long after the entry was written, and as a session
 * that ended (expired, deleted) after.
 */
const LOGIN_IN_FLIGHT_MS = 60_000;

/**
 * A user's sessions, for an engine with `userField`: keeps the index (./user-index.ts) in
 * step with each commit and answers listSessions / revokeSessions / revokeSession.
 *
 * The order of writes is what makes it correct under concurrency:
 * - a commit adds the session's entry BEFORE writing its record, and checks after the
 *   write that the entry is still live, deleting the record it just wrote if a revocation
 *   came in between; so a login racing "log out everywhere" never leaves a session the
 *   revocation missed;
 * - a revocation turns entries into tombstones first, then deletes the records; a request
 *   still in flight then finds its record gone (compare-and-set never re-creates one) or
 *   its entry a tombstone, and does not write the session back.
 */
export class UserSessions implements Accounts {
  /** The index is written around the session's own write: never at once. */
  readonly writesAround = true;

  readonly #index: UserIndex;
  readonly #carrier: Carrier;
  readonly #store: Store;
  readonly #settings: UserSessionsSettings;
  readonly #decode: (record: StoreRecord) => StoredSession | undefined;
  readonly #field: UserField;

  constructor(carrier: Carrier, store: Store, settings: UserSessionsSettings) {
    this.#carrier = carrier;
    this.#store = store;
    this.#index = new UserIndex(store, carrier, settings.codec, settings.maxConflictRetries);
    this.#settings = settings;
    this.#field = settings.userField;
    this.#decode = settings.decode;
  }

  userOf(data: Readonly<Record<string, unknown>>): string | undefined {
    return this.#field.of(data);
  }

  /** The index entry of a session as read from its store, if its payload records one (`until`, its `x`). */
  indexedAs(id: string, until: number | undefined, data: Readonly<Record<string, unknown>>): IndexedAs | undefined {
    if (until === undefined) return undefined;
    const user = this.userOf(data);
    return user === undefined ? undefined : { user, id, until };
  }

  loaded(state: AccountState, data: Readonly<Record<string, unknown>>, fields: StoredAccountFields): void {
    state.indexed = this.indexedAs(state.id, fields.x, data);
  }

  /** Revocation deletes a session's record: a session that loaded was not revoked. */
  revoked(): false {
    return false;
  }

  reloaded(state: AccountState, data: Readonly<Record<string, unknown>>, fields: StoredAccountFields): void {
    state.indexed = this.indexedAs(state.id, fields.x, data) ?? state.indexed;
  }

  /** Sessions in a store are deleted, never left behind. */
  leftBehind(): undefined {
    return undefined;
  }

  /**
   * What a commit must do to the index. Only a change of user or id, or a session about to
   * outlive its entry, costs index writes; every other commit costs nothing.
   */
  plan(state: AccountState, data: Readonly<Record<string, unknown>> | undefined, { expiresAt, end }: PlanTimes): AccountsPlan {
    const user = data === undefined ? undefined : this.userOf(data);
    const indexed = state.indexed;
    const same = indexed !== undefined && indexed.user === user && indexed.id === state.id;
    const remove = indexed !== undefined && !same ? indexed : undefined;
    if (user === undefined) return remove ? { ...NO_ACCOUNT_WORK, remove } : NO_ACCOUNT_WORK;
    if (same && expiresAt <= indexed.until) return { ...NO_ACCOUNT_WORK, indexedUntil: indexed.until };
    // Room for one more lifetime of refreshes before the entry needs extending; never past the absolute end.
    const until = Math.min(expiresAt + this.#settings.lifetimeMs, end ?? Number.POSITIVE_INFINITY);
    return { add: { user, id: state.id, until }, remove, indexedUntil: until, signedInAt: undefined };
  }

  /**
   * Before the write: false when the session was revoked; its record is then deleted
   * rather than written. With `maxSessionsPerUser`, a session new to the index ends the
   * sessions that make room for it, or fails with a SessionLimitError (nothing written).
   */
  async beforeWrite(state: AccountState, plan: AccountsPlan): Promise<boolean> {
    const add = plan.add;
    if (add === undefined) return true;
    const limit = this.#settings.limit;
    const { revoked, evicted } = await this.#index.add(add.user, add.id, add.until, limit && this.#roomFor(limit, add.user, plan.remove));
    // Ended to make room, as revokeSession ends one: tombstones first (in the add), then the records.
    await this.#deleteRecords(evicted);
    const events = this.#settings.events;
    if (evicted.size > 0 && events.wants('revoked')) events.emit('revoked', { store: this.#store.name, count: evicted.size, cause: 'limit' });
    if (!revoked) return true;
    // Revoked ("log out everywhere") while this request ran: the session is not written back.
    await this.#dropRevoked(state.id);
    state.indexed = undefined;
    return false;
  }

  /**
   * How a login makes room under the limit. The user's sessions are read (once per login,
   * and only when the index holds `max` others) to weigh them by their last activity, as
   * listSessions reports it. `replaced`, the entry this commit removes (a login again on the
   * same browser, through regenerate()), does not count.
   */
  #roomFor(limit: SessionLimitOption, userId: string, replaced: IndexedAs | undefined): MakeRoom {
    const skipped = replaced?.user === userId ? handleOf(replaced.id) : undefined;
    const activity = new Map<string, number | undefined>();
    return async (entries, now) => {
      const others = [...entries].filter(([handle, entry]) => !entry.revoked && handle !== skipped);
      if (others.length < limit.max) return [];
      const unread = others.filter(([handle]) => !activity.has(handle));
      const records = await Promise.all(unread.map(([handle, entry]) => this.#firstRecord(this.#keysOf(handle, entry.name))));
      unread.forEach(([handle], i) => activity.set(handle, this.#liveSession(records[i], userId)?.lastActiveAt));
      return makeRoom(limit, counted(others, activity, now));
    };
  }

  /**
   * After the write: a revocation that came between `beforeWrite` and the write has its
   * record deleted here; an entry the session left (logout, another user) is removed.
   * Notes the index entry the session now has.
   */
  async afterWrite(state: AccountState, plan: AccountsPlan): Promise<void> {
    let entry = plan.remove ? undefined : state.indexed;
    if (plan.add) {
      const live = await this.#index.isLive(plan.add.user, plan.add.id);
      if (!live) await this.#dropRevoked(plan.add.id);
      entry = live ? plan.add : undefined;
    }
    if (plan.remove) await this.#index.remove(plan.remove.user, plan.remove.id);
    state.indexed = entry;
  }

  /** A revoked session's record: deleted rather than written. */
  async #dropRevoked(id: string): Promise<void> {
    await this.#store.delete(this.#carrier.sessionKey(id));
  }

  async list(userId: string, currentId: string | undefined): Promise<UserSession[]> {
    const entries = [...(await this.#index.entries(userId))].filter(([, entry]) => !entry.revoked);
    const records = await Promise.all(entries.map(([handle, entry]) => this.#firstRecord(this.#keysOf(handle, entry.name))));
    const currentHandle = currentId === undefined ? undefined : handleOf(currentId);
    const sessions: UserSession[] = [];
    entries.forEach(([handle], i) => {
      const live = this.#liveSession(records[i], userId);
      if (!live) return;
      const { record, payload } = live;
      sessions.push({
        handle,
        createdAt: payload.t,
        lastActiveAt: live.lastActiveAt,
        expiresAt: record.expiresAt,
        current: handle === currentHandle,
        fields: this.#fields(payload.d),
      });
    });
    return sessions.sort((a, b) => b.lastActiveAt - a.lastActiveAt);
  }

  /**
   * A session of the user as its record says: undefined for a record gone, expired, or now
   * another user's (an entry whose removal failed). Its last activity is when it was last
   * saved or refreshed (exact to `touchAfter`).
   */
  #liveSession(record: StoreRecord | undefined, userId: string): { record: StoreRecord; payload: StoredSession; lastActiveAt: number } | undefined {
    const payload = record && this.#decode(record);
    if (!record || !payload || record.expiresAt <= Date.now() || this.userOf(payload.d) !== userId) return undefined;
    const lifetime = payload.l ?? this.#settings.lifetimeMs;
    return { record, payload, lastActiveAt: Math.max(payload.t ?? 0, record.expiresAt - lifetime) };
  }

  /** Ends the user's sessions but `except`: a session's state, its id or a handle. Resolves how many were live in the index. */
  revokeAll(userId: string, except: AccountState | string | undefined): Promise<number> {
    const kept = except === undefined ? undefined : typeof except === 'string' ? keptByText(except) : keptHandle(except.id);
    return this.#revoke(userId, (handle) => kept?.(handle) !== true);
  }

  async revokeOne(userId: string, handle: string): Promise<boolean> {
    return (await this.#revoke(userId, (candidate) => candidate === handle)) > 0;
  }

  /** Ends the user's sessions that `select` picks; resolves how many were live in the index. */
  async #revoke(userId: string, select: (handle: string) => boolean): Promise<number> {
    const revoked = await this.#index.revoke(userId, select);
    await this.#deleteRecords(revoked);
    return revoked.size;
  }

  /**
   * Deletes the records of index entries just made tombstones (handle → entry as it was),
   * and leaves in each one's place a marker (core/ended-marker.ts) that lives as long as
   * its entry would have, so that a later request with its cookie is `missed` as `revoked`.
   */
  async #deleteRecords(ended: ReadonlyMap<string, IndexEntry>): Promise<void> {
    const keys = [...ended].flatMap(([handle, entry]) => this.#keysOf(handle, entry.name));
    const markers = [...ended].map(([handle, entry]) => this.#store.set(this.#carrier.key(endedMarkerName(this.#nameNow(handle, entry.name))), revokedMarker(entry.until)));
    await Promise.all([...keys.map((key) => this.#store.delete(key)), ...markers]);
  }

  /** The name the session of an index entry goes by now: its entry's, or for an entry written before `hashIds` (its raw id), the id's hash. */
  #nameNow(handle: string, name: string): string {
    return handleOf(name) === handle ? this.#carrier.storedName(name) : name;
  }

  /**
   * The keys the session of an index entry may be under: its name's, and for an entry written
   * before `hashIds` was turned on (its name is then the id, which its handle is the hash of)
   * also the id's key now, where the session moved on its first request since.
   */
  #keysOf(handle: string, name: string): string[] {
    const key = this.#carrier.key(name);
    if (handleOf(name) !== handle) return [key];
    const current = this.#carrier.sessionKey(name);
    return current === key ? [key] : [current, key];
  }

  /** The record under the first of `keys` that has one. */
  async #firstRecord(keys: readonly string[]): Promise<StoreRecord | undefined> {
    for (const key of keys) {
      const record = await this.#store.get(key);
      if (record) return record;
    }
    return undefined;
  }

  #fields(data: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const fields: Record<string, unknown> = {};
    for (const name of this.#settings.listedFields) if (Object.hasOwn(data, name)) fields[name] = data[name];
    return fields;
  }
}

/**
 * The sessions a limit counts, by their last activity: those with a live record, and those
 * whose login is still writing it (./user-index.ts writes the entry first), as of their entry.
 */
function counted(others: ReadonlyArray<[string, IndexEntry]>, activity: ReadonlyMap<string, number | undefined>, now: number): CountedSession[] {
  const live: CountedSession[] = [];
  for (const [handle, entry] of others) {
    const lastActiveAt = activity.get(handle) ?? (now - entry.at < LOGIN_IN_FLIGHT_MS ? entry.at : undefined);
    if (lastActiveAt !== undefined) live.push({ handle, lastActiveAt });
  }
  return live;
}

/** Session ids are at least 16 random bytes and handles 22 characters, both base64url: nothing else can name a session. */
const SESSION_NAME = /^[A-Za-z0-9_-]{22,}$/;

/** What `except` as a session keeps: the handle of its id. */
function keptHandle(id: string): (handle: string) => boolean {
  const kept = handleOf(id);
  return (handle) => handle === kept;
}

/**
 * What `except` as text keeps: a handle from listSessions, or a session id (what
 * express-session's users write: `except: req.session.id`), recognised through the handle
 * it hashes to; a handle cannot also be the id of another session (its hash would have to
 * collide). Text that can be neither (a signed cookie value, a user id) is refused.
 */
function keptByText(except: string): (handle: string) => boolean {
  if (!SESSION_NAME.test(except)) throw new TypeError(`sessionkit: revokeSessions(): except names no session. ${EXCEPT_TAKES}`);
  const ofId = handleOf(except);
  return (handle) => handle === except || handle === ofId;
}
