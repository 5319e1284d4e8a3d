import { isCarrierSource, type CarriedRecord, type Carrier, type CarrierSource } from './carrier.js';
import { CookieWriter, readCookie } from './cookie-header.js';
import { IdCodec } from './ids.js';
import type { MaybePromise } from './crypto/primitives.js';
import type { Logger } from './logger.js';
import { finishMigration } from './migration-commit.js';
import { migrationLinksFor, type MigrationLinks } from './migration-links.js';
import type { SessionMigration } from './migration.js';
import type { PendingCommit, RequestContext, SessionClass, SessionManager } from './manager.js';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from './options.js';
import { equalBytes, isEmpty, isPayload, makePayload, type Payload } from './payload.js';
import { enableRequestContext } from './request-context.js';
import { assignData, assignField, clearData, SessionObject, sessionClassOf, stateIfOwnedBy, type Session, type SessionData, type SessionOwner } from './session.js';
import { SessionCookie } from './session-cookie.js';
import { absoluteEnd, expiryAt, freshState, isRefreshDue, loadedState, type SessionState } from './session-state.js';
import { StoreCarrier } from './store-carrier.js';
import { StoreWriter, type StoreAction, type Written } from './store-writer.js';
import { isExpired, StoreError, type RecordMemo, type Store, type StoreRecord } from './store.js';
import { SessionConfigError } from './errors.js';
import { CookieRevocations } from './cookie-revocations.js';
import { UserField } from './user-field.js';
import { SessionLocks, type HeldLock } from './session-lock.js';
import { dataForEncoding, decodeLazily, LAZY_RECORD_BYTES } from './lazy-fields.js';
import { assignKeptData, keepDecoded, keepWritten, KeptPayload, keptPayload, sameAsLoaded } from './decoded-records.js';
import {
  handleOf,
  NO_INDEX_WORK,
  UserSessions,
  type IndexPlan,
  type ListSessionsOptions,
  type RevokeSessionsOptions,
  type UserSession,
} from './user-sessions.js';

export type { PendingCommit, RequestContext, SessionManager };

type Action = StoreAction | 'none';

const NOTHING_TO_PERSIST = async () => {};
const ignore = () => {};
/** What `finish` answers when the request holds nothing. */
const NOTHING_TO_FINISH: Promise<void> = Promise.resolve();
/** The Set-Cookie values of a commit that sets no cookie: one frozen array, not one per request. */
const NO_SET_COOKIES: readonly string[] = Object.freeze([]);
/** The commit of an unchanged session that needs no cookie: shared, as it is the common case. */
const NOTHING_TO_COMMIT: PendingCommit = Object.freeze({ setCookies: NO_SET_COOKIES, needsPersist: false, persist: NOTHING_TO_PERSIST });

/** The engine's bookkeeping of a session it made, with the view of its cookie once asked for. */
interface EngineState extends SessionState {
  cookieView?: SessionCookie;
}

/**
 * The session engine: turns a Cookie header into a session and a session back into a
 * Set-Cookie header and store operations. Where the session lives — a store the cookie's
 * id points into, or the cookie itself (`cookieStore()`) — is its carrier (./carrier.ts);
 * every decision is made here, once, for both. Adapters are thin shells around `load`
 * and `commit`.
 */
export class SessionEngine<T extends object = SessionData> implements SessionManager<T>, SessionOwner {
  readonly options: ResolvedOptions;
  readonly #ready: Promise<void>;
  /** The application asked for `ready`, and so answers for a store that could not be set up. */
  #readyAsked = false;
  readonly #ids: IdCodec;
  readonly #cookies: CookieWriter;
  #carrier: Carrier | undefined;
  #writer: StoreWriter | undefined;
  /** With `userField` and a store: the user index and what reads it. */
  #users: UserSessions | undefined;
  /** With `userField`, sealed cookies and `revocations`: the users' revocation times. */
  #revocations: CookieRevocations | undefined;
  /** With `lock`: the per-session locks on the store. */
  #locks: SessionLocks | undefined;
  /** Old cookie → migrated session, for the migration's grace period (`migrate` with a store). */
  #migrationLinks: MigrationLinks | undefined;

  constructor(options: SessionOptions = {}) {
    this.options = resolveOptions(options);
    this.#ids = new IdCodec(this.options.idLength, this.options.secrets);
    this.#cookies = new CookieWriter(this.options.cookie);
    // A promise only on Workers without `process` (see request-context.ts).
    const context = this.options.requestContext ? enableRequestContext() : undefined;
    const store = this.options.store;
    if (store instanceof Promise || context) {
      // No carrier until both are there: every load() waits for `ready`.
      this.#ready = Promise.all([store, context]).then(([loaded]) => {
        this.#useCarrier(this.#carrierFor(loaded));
      });
      this.#ready.catch((error: unknown) => {
        this.#setUpFailed(error);
      });
    } else {
      this.#useCarrier(this.#carrierFor(store));
      this.#ready = Promise.resolve();
    }
  }

  /**
   * Settles when the store is there: at once, or once a store chosen by `type` has loaded.
   * An application that asks for it handles a store that could not be set up itself.
   */
  get ready(): Promise<void> {
    this.#readyAsked = true;
    return this.#ready;
  }

  /**
   * A store chosen by `type` that could not be built (an option it refuses, no SQLite
   * driver): every request would fail, forever. Unless the application awaits `ready`, the
   * error is thrown where nothing catches it, which stops a Node process at start-up, as the
   * constructor's own throw would have; every load() rejects with it too, where a runtime
   * only reports it (Workers).
   */
  #setUpFailed(error: unknown): void {
    if (!this.#readyAsked) throw error;
  }

  #carrierFor(store: Store | CarrierSource): Carrier {
    return isCarrierSource(store) ? store.createCarrier(this.options.secrets) : new StoreCarrier(store, this.#ids, this.options.keyPrefix);
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** The store sessions live in; undefined for sealed cookies, or while a store chosen by name loads. */
  get store(): Store | undefined {
    return this.#carrier?.store;
  }

  get cookieName(): string {
    return this.options.cookie.name;
  }

  /** Synchronous loads need a carrier that reads synchronously, and no migration (which reads another store). */
  get canLoadSync(): boolean {
    return (
      this.#carrier?.opensSync === true && this.options.migrate === undefined && this.options.revocations === undefined && this.options.lock === undefined
    );
  }

  /** Requests hold something until they end (the `lock` option): adapters then call `finish`. */
  get locks(): boolean {
    return this.options.lock !== undefined;
  }

  /**
   * The session a request's Cookie header points to. An unknown, expired, forged or
   * malformed cookie yields a fresh session with a NEW id: a client-chosen id is never
   * adopted. Rejects only when the store itself fails.
   */
  async load(cookieHeader: string | undefined, kind: SessionClass = SessionObject): Promise<Session<T>> {
    if (!this.#carrier) await this.#ready;
    const carrier = this.#carrier!;
    const cookieValue = readCookie(cookieHeader, this.cookieName);
    let carried = cookieValue === undefined ? undefined : await carrier.open(cookieValue);
    // Locked only once the record is known to exist, so that made-up ids cost no lock writes;
    // then read again, for the holder before us may have changed it.
    const lock = carried && (await this.#lock(carrier, carried));
    if (lock) {
      try {
        carried = await carrier.open(cookieValue!);
      } catch (error) {
        await lock.release().catch(ignore);
        throw error;
      }
    }
    let session = this.#sessionFrom(carrier, cookieValue !== undefined, carried, kind);
    if (lock) {
      // A session that turned out fresh (gone while we waited) has a new id nobody else knows: nothing to hold.
      // Awaited: workerd would cancel a release left running when this request ends.
      if (session.isNew) await this.#release(lock);
      else this.#stateOf(session).lock = lock;
    }
    const loaded = this.#revocations && this.#stateOf(session);
    if (loaded?.signedIn && (await this.#revocations!.isRevoked(loaded.signedIn, loaded.id))) {
      // Its user logged out everywhere since it signed in, or this session was ended: a fresh session, and the cookie goes.
      session = this.#session(kind, freshState(this.options, true), undefined);
    }
    return this.options.migrate && session.isNew ? this.#migrated(session, cookieHeader, this.options.migrate, kind) : session;
  }

  /**
   * A request without a usable sessionkit session but with the other library's cookie:
   * that session's data, under a new sessionkit id (never the old id: it is not ours).
   * Requests of one browser that race this one, or come just after it, get the same session.
   */
  async #migrated(session: Session<T>, cookieHeader: string | undefined, migrate: SessionMigration, kind: SessionClass): Promise<Session<T>> {
    const oldValue = readCookie(cookieHeader, migrate.cookieName);
    if (oldValue === undefined) return session;
    const data = await migrate.read(oldValue);
    const links = this.#migrationLinks;
    if (data === undefined) {
      // The old record may have gone moments ago, moved by a request of the same browser.
      const linkedId = links && (await links.linked(oldValue));
      return (linkedId !== undefined && (await this.#joinMigrated(linkedId, oldValue, kind))) || session;
    }
    const state = freshState(this.options, this.#stateOf(session).cookieReceived);
    const migrated = this.#session(kind, state, data);
    if (!links || isEmpty(migrated)) {
      state.migratedFrom = oldValue;
      return migrated;
    }
    // Written before the link that names it, so that whoever follows the link finds it.
    await this.commit(migrated).persist();
    const linkedId = await links.claim(oldValue, state.id);
    if (linkedId !== state.id) {
      // Another request migrated it first: ours goes, and this request joins that session.
      clearData(migrated);
      await this.commit(migrated).persist();
      return (await this.#joinMigrated(linkedId, oldValue, kind)) ?? session;
    }
    state.migratedFrom = oldValue;
    state.cookieOwed = true;
    return migrated;
  }

  /** The migrated session `id` (undefined if it has gone since), for a request that carries only the old cookie. */
  async #joinMigrated(id: string, oldValue: string, kind: SessionClass): Promise<Session<T> | undefined> {
    const carrier = this.#carrier!;
    const record = await carrier.store!.get(carrier.sessionKey(id));
    const session = record && this.#sessionFrom(carrier, true, { id, record }, kind);
    if (!session || session.isNew) return undefined;
    const state = this.#stateOf(session);
    state.migratedFrom = oldValue;
    state.cookieOwed = true;
    return session;
  }

  /** Waits for the lock of a session read from its store (with `lock`); undefined without the option. */
  async #lock(carrier: Carrier, carried: CarriedRecord): Promise<HeldLock | undefined> {
    return this.#locks && carried.id !== undefined ? this.#locks.acquire(carrier.key(`lock.${carried.id}`)) : undefined;
  }

  /**
   * The request of `session` has ended (its response sent, or it failed): gives back what
   * it holds, the session's lock, once its last write landed. Adapters call it when
   * `locks` is true; calling it twice does nothing. Resolves once the lock is given back
   * (never rejects: a failed release is logged, and the lock then ends with its lease).
   */
  finish(session: Session<T> | SessionObject): Promise<void> {
    const state = stateIfOwnedBy(session, this) as SessionState | undefined;
    const lock = state?.lock;
    if (!lock) return NOTHING_TO_FINISH;
    state.lock = undefined;
    const writing = state.writing;
    const release = () => this.#release(lock);
    return writing ? writing.then(release, release) : release();
  }

  async #release(lock: HeldLock): Promise<void> {
    try {
      await lock.release();
    } catch (error) {
      // The lock then ends with its lease; the response has gone already.
      this.logger.warn(`could not release a session lock: ${String(error)}; it ends with its lease.`);
    }
  }

  /** `load` without a promise, where the carrier reads synchronously (`canLoadSync`). */
  loadSync(cookieHeader: string | undefined, kind: SessionClass = SessionObject): Session<T> {
    const carrier = this.#carrier;
    if (!carrier?.opensSync) {
      throw new Error('sessionkit: loadSync() needs a store that reads synchronously (see canLoadSync); call load() instead.');
    }
    const cookieValue = readCookie(cookieHeader, this.cookieName);
    const carried = cookieValue === undefined ? undefined : carrier.openSync(cookieValue);
    return this.#sessionFrom(carrier, cookieValue !== undefined, carried, kind);
  }

  #useCarrier(carrier: Carrier): void {
    this.#carrier = carrier;
    const store = carrier.store;
    const { userField, listedFields, lifetimeMs, maxConflictRetries, codec, revocations, keyPrefix } = this.options;
    const field = userField && new UserField(userField, (message) => this.logger.warn(message));
    if (store) {
      const decode = (record: StoreRecord) => this.#decodeRecord(carrier, record);
      this.#writer = new StoreWriter(carrier, store, codec, maxConflictRetries, decode);
      if (field) this.#users = new UserSessions(carrier, store, codec, { userField: field, listedFields, lifetimeMs, maxConflictRetries }, decode);
      if (this.options.lock) this.#locks = new SessionLocks(store, this.options.lock, this.logger);
      if (this.options.migrate) this.#migrationLinks = migrationLinksFor(this.options.migrate, store, (name) => carrier.key(name));
    } else if (field && revocations) {
      this.#revocations = new CookieRevocations(revocations, (name) => keyPrefix + name, codec, field, maxConflictRetries);
    }
  }

  #sessionFrom(carrier: Carrier, cookieReceived: boolean, carried: CarriedRecord | undefined, kind: SessionClass): Session<T> {
    const record = carried?.record;
    const live = record && !isExpired(record) && this.#withinSizeLimit(carrier, record) ? record : undefined;
    const lazyPayload = live && this.#lazilyDecodable(carrier, live);
    let payload = lazyPayload;
    let kept: KeptPayload | undefined;
    if (live && !payload) {
      // An in-process store's record this engine read before is kept decoded beside it (./decoded-records.ts).
      const memo = live.memo;
      kept = memo && keptPayload(memo, this.options.codec);
      if (!kept) {
        payload = this.#decodeRecord(carrier, live);
        if (payload && memo) kept = keepDecoded(memo, this.options.codec, payload);
      }
    }
    // Once kept, a payload is read through `kept` only: the session's data is copied from it.
    const parts = kept?.parts ?? payload;
    const id = carried?.id ?? parts?.i;
    if (!record || !parts || id === undefined) return this.#session(kind, freshState(this.options, cookieReceived), undefined);
    const state = loadedState(id, record, parts);
    state.lazy = lazyPayload !== undefined;
    state.loadedPayload = kept;
    state.readWithMemo = live?.memo !== undefined;
    if (this.options.absoluteLifetimeMs !== undefined) {
      // A record from before creation times were stored starts its clock now.
      state.createdAt ??= Date.now();
      const end = absoluteEnd(this.options, state)!;
      if (Date.now() >= end) {
        // Past its absolute lifetime, however active: a fresh session, and the old record goes.
        const fresh = freshState(this.options, true);
        if (carrier.store) fresh.retiredIds.push(id);
        return this.#session(kind, fresh, undefined);
      }
    }
    const session = this.#session(kind, state, kept ?? payload?.d);
    // The user a session names, read from its data as loaded (lazy fields are off with either).
    const data = session as unknown as Readonly<Record<string, unknown>>;
    if (this.#users) state.indexed = this.#users.indexedAs(id, parts.x, data);
    if (this.#revocations) {
      const signedIn = this.#revocations.signedInFrom(data, parts.a);
      state.signedIn = signedIn;
      state.issuedSignIn = signedIn && { ...signedIn, id };
    }
    return session;
  }

  /**
   * Decides what a session needs at the end of a request. Nothing is written and no
   * cookie is set for a session that was neither modified nor due for a refresh.
   */
  commit(session: Session<T> | SessionObject, context: RequestContext = {}): PendingCommit {
    const state = this.#stateOf(session);
    // A session exists only once load() has the carrier.
    const carrier = this.#carrier!;
    const now = Date.now();
    const empty = isEmpty(session);
    const expiresAt = expiryAt(this.options, state, now);
    // A field of a big session that nobody read is written back as the bytes it was read from.
    const data = state.lazy ? dataForEncoding(session) : (session as Record<string, unknown>);
    const plan = this.#users ? this.#users.plan(state, empty ? undefined : data, expiresAt, absoluteEnd(this.options, state)) : NO_INDEX_WORK;
    let bytes: Uint8Array | undefined;
    let action: Action;
    let keptAsWritten: RecordMemo | undefined;
    if (empty) {
      action = state.isNew ? 'none' : 'delete';
    } else {
      const payload = makePayload(state.permanent, data, {
        i: carrier.store === undefined ? state.id : undefined,
        t: state.createdAt,
        l: state.lifetimeMs,
        c: state.cookieSettings,
        x: plan.until,
        a: this.#revocations?.signedInAt(state, data, now),
      });
      if (!state.isNew && state.loadedPayload && sameAsLoaded(payload, state.loadedPayload)) {
        // The data it was loaded with, compared without encoding: the bytes it was loaded from.
        bytes = state.loadedBytes;
      } else {
        const codec = this.options.codec;
        // Most requests change nothing: compare in the codec's reusable buffer, copy on change.
        const transient = codec.encodeTransient ? codec.encodeTransient(payload) : codec.encode(payload);
        // Unchanged bytes equal those loaded, which the session owns (a touch may rewrite them).
        bytes = !state.isNew && equalBytes(transient, state.loadedBytes) ? state.loadedBytes : codec.encodeTransient ? transient.slice() : transient;
      }
      const changed = bytes !== state.loadedBytes;
      if (state.isNew) action = 'create';
      else if (changed) action = 'update';
      else action = isRefreshDue(this.options, state, now) ? 'touch' : 'none';
      if (action === 'update' && state.readWithMemo && !state.lazy && bytes!.length < LAZY_RECORD_BYTES && this.#writesNow(state)) {
        // Left in the store's memo as written, from the data just encoded: the next read decodes nothing (./decoded-records.ts).
        const derived = keepWritten(this.options.codec, payload);
        if (derived) keptAsWritten = { derived };
      }
    }
    state.touchRequested = false;
    const retiresSome = state.retiredIds.length > 0;
    const cookie = this.#cookieFor(carrier, state, action, empty, retiresSome, bytes, now, expiresAt, context);
    // With Web Crypto the cookie's signature or seal comes with a promise: so does the commit's Set-Cookie.
    const pending =
      cookie instanceof Promise
        ? afterCookie(cookie, (setCookie) => this.#pendingCommit(session, state, carrier, action, bytes, expiresAt, plan, retiresSome, setCookie, keptAsWritten))
        : this.#pendingCommit(session, state, carrier, action, bytes, expiresAt, plan, retiresSome, cookie, keptAsWritten);
    const revocations = this.#revocations;
    const leftBehind = revocations?.leftBehind(state, empty ? undefined : state.signedIn);
    // A sealed cookie cannot be deleted: the one a logout, destroy() or regenerate() leaves is refused instead.
    return leftBehind ? thenPersist(() => revocations!.revokeSession(leftBehind, now, expiresAt), pending) : pending;
  }

  /** The rest of `commit`, once its Set-Cookie value is known. */
  #pendingCommit(
    session: Session<T> | SessionObject,
    state: SessionState,
    carrier: Carrier,
    action: Action,
    bytes: Uint8Array | undefined,
    expiresAt: number,
    plan: IndexPlan,
    retiresSome: boolean,
    setCookie: string | undefined,
    memo: RecordMemo | undefined,
  ): PendingCommit {
    const inCookie = carrier.store === undefined;
    if (bytes !== undefined && bytes.length > this.options.maxSessionBytes) {
      return refused(
        carrier,
        `the session is ${bytes.length} bytes serialized, over maxSessionBytes (${this.options.maxSessionBytes}); it was not saved. ` +
          'Keep less in the session (large data belongs in your database), or raise maxSessionBytes.',
      );
    }
    if (setCookie !== undefined && carrier.maxCookieBytes !== undefined && utf8Length(setCookie) > carrier.maxCookieBytes) {
      return refused(
        carrier,
        `the session is ${bytes!.length} bytes serialized and its Set-Cookie header would be ${utf8Length(setCookie)} bytes, ` +
          `over the ${carrier.maxCookieBytes}-byte cookie limit. Keep large data in a server-side store.`,
      );
    }
    const setCookies = setCookie === undefined ? NO_SET_COOKIES : [setCookie];
    let pending: PendingCommit;
    if (inCookie) {
      // The cookie is the write: the session is saved the moment its cookie is decided.
      state.retiredIds.length = 0;
      if (action !== 'none') this.#written(state, action, bytes, undefined, expiresAt);
      pending = setCookie === undefined ? NOTHING_TO_COMMIT : { setCookies, needsPersist: false, persist: NOTHING_TO_PERSIST };
    } else if (action === 'none' && !retiresSome && plan.remove === undefined) {
      const writing = state.writing;
      if (writing) {
        // Nothing left to write, but a save()/destroy() nobody awaited is still writing:
        // the response waits for it, so the next request sees it (and its failure is reported).
        pending = { setCookies, needsPersist: true, persist: () => writing };
      } else {
        pending = setCookie === undefined ? NOTHING_TO_COMMIT : { setCookies, needsPersist: false, persist: NOTHING_TO_PERSIST };
      }
    } else {
      const persist = () => this.#persist(session, state, action, bytes, expiresAt, plan);
      // persistNow only where the store writes synchronously: a network store's commit makes no closure it never calls.
      pending = this.#writer!.writesSync
        ? { setCookies, needsPersist: true, persist, persistNow: () => this.#persistNow(session, state, action, bytes, expiresAt, plan, memo) }
        : { setCookies, needsPersist: true, persist };
    }
    return state.migratedFrom === undefined ? pending : finishMigration(pending, state, this.options.migrate!);
  }

  /**
   * Gives a session a new id, keeping its data; the old record is deleted on commit. A login
   * inside a session does not restart its absolute clock; `destroy()` does (`restartClock`).
   */
  regenerate(session: SessionObject, restartClock = false): void {
    const state = this.#stateOf(session);
    const { permanent, createdAt, lifetimeMs, cookieSettings, indexed, lock } = state;
    Object.assign(state, freshState(this.options, state.cookieReceived), {
      permanent,
      createdAt: restartClock ? Date.now() : createdAt,
      lifetimeMs,
      cookieSettings,
      // The old id's index entry goes when the new session commits.
      indexed,
      // Held until the request ends, whatever its id now.
      lock,
      retiredIds: this.#retiring(state),
      // The sealed cookie the browser holds, refused when the session commits under its new id.
      issuedSignIn: state.issuedSignIn,
      cookieView: undefined,
    });
  }

  /** A new, empty session to replace `session`: its id and the ids it retired are deleted when the new one commits. */
  renew(session: SessionObject): SessionObject {
    const state = this.#stateOf(session);
    const fresh = freshState(this.options, state.cookieReceived);
    fresh.retiredIds = this.#retiring(state);
    fresh.createdAt = state.createdAt;
    fresh.indexed = state.indexed;
    fresh.lock = state.lock;
    state.lock = undefined;
    fresh.issuedSignIn = state.issuedSignIn;
    state.issuedSignIn = undefined;
    return new (sessionClassOf(session))(this, fresh, undefined);
  }

  /** Reads the session again from its carrier. A session whose record is gone becomes a fresh one. */
  async reload(session: SessionObject): Promise<void> {
    const state = this.#stateOf(session);
    const carrier = this.#carrier!;
    let record: StoreRecord | undefined;
    if (!carrier.store) {
      record = state.loadedBytes && state.expiresAt !== undefined ? { data: state.loadedBytes, expiresAt: state.expiresAt } : undefined;
    } else if (!state.isNew) {
      record = await carrier.store.get(carrier.sessionKey(state.id));
    }
    const payload = record && !isExpired(record) ? this.#decodeRecord(carrier, record) : undefined;
    clearData(session);
    if (!record || !payload) {
      if (!state.isNew) this.regenerate(session);
      return;
    }
    Object.assign(state, loadedState(state.id, record, payload), {
      retiredIds: state.retiredIds,
      cookieReceived: state.cookieReceived,
      indexed: this.#users?.indexedAs(state.id, payload.x, payload.d) ?? state.indexed,
      // A sealed session read again is the same cookie: what it signed in as stays, and a logout after still revokes it.
      signedIn: state.signedIn,
      issuedSignIn: state.issuedSignIn,
    });
    this.#warnSkipped(assignData(session, payload.d));
  }

  /**
   * The live sessions of a user (needs `userField`), most recently active first. Each has
   * an opaque `handle`, never its id. `current` marks the request's own session.
   */
  async listSessions(userId: string | number, options: ListSessionsOptions = {}): Promise<UserSession[]> {
    const users = await this.#usersOrThrow('listSessions');
    return users.list(String(userId), this.#idOf(options.current));
  }

  /**
   * Ends every session of a user, or all but `except` ("log out other devices"): the
   * request's session, its id, or a handle from `listSessions`. Resolves how many it ended;
   * with sealed cookie sessions (`revocations`), which have nothing on the server to count,
   * 0. A request of a revoked session still in flight does not write it back.
   */
  async revokeSessions(userId: string | number, options: RevokeSessionsOptions = {}): Promise<number> {
    if (!this.#carrier) await this.#ready;
    const except = options.except;
    if (this.#revocations) {
      if (typeof except === 'string') {
        throw new TypeError(
          'sessionkit: revokeSessions(): a sealed cookie session is kept by sealing its cookie again, so except must be the session itself ' +
            '(except: req.session), not its id or a handle.',
        );
      }
      const keep = except === undefined ? undefined : this.#ownStateOf(except);
      await this.#revocations.revokeAll(String(userId), Date.now(), keep);
      // Nothing on the server to count: every session that signed in earlier is refused from now on.
      return 0;
    }
    const users = await this.#usersOrThrow('revokeSessions');
    const kept = except === undefined ? undefined : typeof except === 'string' ? keptByText(except) : keptHandle(this.#ownStateOf(except).id);
    return users.revoke(String(userId), (handle) => kept?.(handle) !== true);
  }

  /** Ends one session of a user, named by the handle `listSessions` gave; false if it was not live. */
  async revokeSession(userId: string | number, handle: string): Promise<boolean> {
    const users = await this.#usersOrThrow('revokeSession');
    return (await users.revoke(String(userId), (candidate) => candidate === handle)) > 0;
  }

  async #usersOrThrow(method: string): Promise<UserSessions> {
    if (!this.#carrier) await this.#ready;
    if (this.#users) return this.#users;
    throw new SessionConfigError(
      this.options.userField
        ? `${method}() needs sessions kept in a store: sealed cookie sessions are not on the server` +
            (method === 'revokeSessions' ? '. Give the engine revocations: { store } to revoke them.' : '; revokeSessions() with revocations: { store } works for them.')
        : `${method}() needs the userField option: name the session field that identifies the user, e.g. userField: 'user_id'.`,
    );
  }

  #idOf(session: object | undefined): string | undefined {
    return session === undefined ? undefined : stateIfOwnedBy(session, this)?.id;
  }

  /** The state of `except`, which must be a session of this engine: anything else would silently keep nothing. */
  #ownStateOf(except: object): SessionState {
    const state = stateIfOwnedBy(except, this) as SessionState | undefined;
    if (!state) throw new TypeError(`sessionkit: revokeSessions(): except is not a session of this engine. ${EXCEPT_TAKES}`);
    return state;
  }

  touch(session: SessionObject): void {
    this.#stateOf(session).touchRequested = true;
  }

  cookieOf(session: SessionObject): SessionCookie {
    const state = this.#stateOf(session);
    return (state.cookieView ??= new SessionCookie(state, this.options, () => {
      clearData(session);
      this.regenerate(session);
    }));
  }

  /** The ids a session's record and earlier retirements leave to delete. */
  #retiring(state: SessionState): string[] {
    return state.isNew ? state.retiredIds : [...state.retiredIds, state.id];
  }

  /** A session of `data`: a decoded payload's, or a kept payload's (copied, never shared). */
  #session(kind: SessionClass, state: EngineState, data: Record<string, unknown> | KeptPayload | undefined): Session<T> {
    const session = new kind(this, state, undefined);
    if (data instanceof KeptPayload) this.#warnSkipped(assignKeptData(session, data, assignField));
    else if (data) this.#warnSkipped(assignData(session, data, state.lazy ? this.#decodeField : undefined));
    return session as unknown as Session<T>;
  }

  readonly #decodeField = (bytes: Uint8Array): unknown => this.options.codec.decode(bytes);

  /**
   * A big record's payload with its big fields left encoded (./lazy-fields.ts), or undefined
   * where that does not apply: small records, codecs that cannot split, and engines that read
   * a field of every session they load (userField, revocations).
   */
  #lazilyDecodable(carrier: Carrier, record: StoreRecord): Payload | undefined {
    if (record.data.length < LAZY_RECORD_BYTES || this.#users || this.#revocations) return undefined;
    const payload = decodeLazily(this.options.codec, record.data);
    return payload && isPayload(payload) && (carrier.store !== undefined || typeof payload.i === 'string') ? payload : undefined;
  }

  #warnSkipped(skipped: string[] | undefined): void {
    if (!skipped) return;
    this.logger.warn(
      `a stored session has fields named like session controls (${skipped.join(', ')}); they were not loaded, ` +
        'so that they cannot shadow the controls. Rename them in your application.',
    );
  }

  #stateOf(session: object): EngineState {
    // An engine's own sessions always carry its full state.
    const state = stateIfOwnedBy(session, this) as EngineState | undefined;
    if (!state) throw new TypeError('sessionkit: commit() needs a session returned by load() of the same engine.');
    return state;
  }

  #cookieFor(
    carrier: Carrier,
    state: SessionState,
    action: Action,
    empty: boolean,
    retiredSome: boolean,
    bytes: Uint8Array | undefined,
    now: number,
    expiresAt: number,
    context: RequestContext,
  ): MaybePromise<string> | undefined {
    const secure = this.#cookies.isSecure(state.cookieSettings, context.secure);
    if (empty) {
      // A deleted, destroyed or never-valid session: make the browser forget the cookie.
      return action === 'delete' || retiredSome || state.cookieReceived ? this.#cookies.clear(secure, state.cookieSettings) : undefined;
    }
    // A refresh moves the expiry: a persistent cookie must say so, and a cookie that holds
    // the session holds its expiry too. A browser-session cookie with an id stays as it is.
    const refreshesCookie = state.permanent || carrier.store === undefined;
    const sendsCookie = action === 'create' || action === 'update' || (action === 'touch' && refreshesCookie) || state.cookieOwed;
    if (!sendsCookie) return undefined;
    // A persistent cookie lives as long as the record: a lifetime, or less near the absolute end.
    const lifetime = state.permanent ? expiresAt - now : undefined;
    const value = carrier.cookieValue(state.id, bytes!, expiresAt);
    if (typeof value === 'string') return this.#cookies.set(value, secure, now, lifetime, state.cookieSettings);
    return value.then((text) => this.#cookies.set(text, secure, now, lifetime, state.cookieSettings));
  }

  /** Records what was written: the state a later commit of the same session compares with. */
  #written(state: SessionState, action: StoreAction, bytes: Uint8Array | undefined, version: string | undefined, expiresAt: number): void {
    if (action === 'delete') {
      state.isNew = true;
      return;
    }
    state.expiresAt = expiresAt;
    if (action === 'touch') return;
    state.isNew = false;
    state.loadedBytes = bytes;
    state.loadedPayload = undefined;
    state.version = version;
  }

  /**
   * Runs a commit's store work. Writes of one session run one after another: a commit made
   * while an earlier `save()` is still writing waits for it, then does only what is left
   * (a session that save created is updated or left alone, never created twice).
   */
  #persist(session: object, state: SessionState, action: Action, bytes: Uint8Array | undefined, expiresAt: number, plan: IndexPlan): Promise<void> {
    const run = this.#writeSession(session, state, action, bytes, expiresAt, plan, state.writing);
    state.writing = run;
    const done = () => {
      if (state.writing === run) state.writing = undefined;
    };
    run.then(done, done);
    return run;
  }

  /**
   * `#persist`, without a promise where it can be (a create or an update, `#writesNow`;
   * offered only on a store that writes synchronously). Everything else, and an update that lost its compare-and-set, goes
   * through `#persist`. `memo`: what commit derived from `bytes` for the record (StoreRecord.memo).
   */
  #persistNow(
    session: object,
    state: SessionState,
    action: Action,
    bytes: Uint8Array | undefined,
    expiresAt: number,
    plan: IndexPlan,
    memo: RecordMemo | undefined,
  ): Promise<void> | undefined {
    const writer = this.#writer!;
    const now = (action === 'update' || (action === 'create' && state.isNew)) && this.#writesNow(state);
    if (!now) return this.#persist(session, state, action, bytes, expiresAt, plan);
    let written: Written | undefined;
    try {
      written = writer.writeNow(state, action, bytes!, expiresAt, memo);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (!written) return this.#persist(session, state, action, bytes, expiresAt, plan);
    this.#written(state, action, written.bytes, written.version, expiresAt);
    return undefined;
  }

  /**
   * Whether `#persistNow` writes a create or an update of this session at once: on a store
   * that writes synchronously, with nothing before it (no earlier write in flight, no retired
   * ids, no user index). Commit asks it too, so that it makes a memo only for a write that takes one.
   */
  #writesNow(state: SessionState): boolean {
    return this.#writer!.writesSync && !state.writing && state.retiredIds.length === 0 && !this.#users;
  }

  async #writeSession(
    session: object,
    state: SessionState,
    action: Action,
    bytes: Uint8Array | undefined,
    expiresAt: number,
    plan: IndexPlan,
    previous: Promise<void> | undefined,
  ): Promise<void> {
    if (previous) await previous.catch(ignore);
    let next = action;
    if (next === 'create' && !state.isNew) next = bytes && equalBytes(bytes, state.loadedBytes) ? 'none' : 'update';
    const writer = this.#writer!;
    const users = this.#users;
    if (users && !(await users.beforeWrite(plan))) {
      // Revoked ("log out everywhere") while this request ran: the session is not written back.
      await users.dropRevoked(state.id);
      state.indexed = undefined;
      return;
    }
    // Taken only here: a commit whose persist() never runs (the cookie decision made
    // when a streamed response sent its headers) leaves them for the final commit.
    if (state.retiredIds.length > 0) await writer.retire(state);
    if (next !== 'none') {
      const written = await writer.write(session, state, next, bytes, expiresAt);
      if (written) this.#written(state, next, written.bytes, written.version, expiresAt);
    }
    if (users) state.indexed = await users.afterWrite(plan, state.indexed);
  }

  /**
   * Whether a record is small enough to decode (`maxSessionBytes`); one warning when not. A
   * record nobody could have committed here was planted, and the decoder's time and memory
   * grow with its size: it is not decoded at all.
   */
  #withinSizeLimit(carrier: Carrier, record: StoreRecord): boolean {
    const size = record.data.length;
    const limit = this.options.maxSessionBytes;
    if (size <= limit) return true;
    this.options.logger.warn(
      `${carrier.store ? `store "${carrier.name}" returned a session record` : 'a sealed session cookie opened to a session'} of ${size} bytes, ` +
        `over maxSessionBytes (${limit}); starting a fresh session without decoding it. Raise maxSessionBytes if your sessions are that big.`,
    );
    return false;
  }

  /** The payload of a record, or undefined (with one warning) when it cannot be read. */
  #decodeRecord(carrier: Carrier, record: StoreRecord): Payload | undefined {
    if (!this.#withinSizeLimit(carrier, record)) return undefined;
    try {
      const payload = this.options.codec.decode(record.data) as Payload;
      if (isPayload(payload) && (carrier.store !== undefined || typeof payload.i === 'string')) return payload;
      throw new Error('not a sessionkit payload');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.logger.warn(
        `${carrier.store ? `store "${carrier.name}" returned a session record` : 'a sealed session cookie opened but'} that the ` +
          `${this.options.codec.name} serializer cannot read (${reason}); starting a fresh session. ` +
          'A changed serializer or a corrupt record causes this.',
      );
      return undefined;
    }
  }
}

/**
 * The manager an adapter was given, or the engine built from plain options (with a
 * store, a store chosen by `type`, or `cookieStore()`).
 */
export function toSessionManager<T extends object = SessionData>(options: SessionOptions | SessionManager<T>): SessionManager<T> {
  return isSessionManager(options) ? options : new SessionEngine<T>(options);
}

function isSessionManager<T extends object>(value: SessionOptions | SessionManager<T>): value is SessionManager<T> {
  const candidate = value as Partial<SessionManager<T>>;
  return typeof candidate.commit === 'function' && typeof candidate.load === 'function';
}

/**
 * A commit whose Set-Cookie value is still being signed or sealed (Web Crypto): it always
 * has something to do, and its `setCookies` is complete once `persist()` has resolved.
 */
function afterCookie(cookie: Promise<string>, decide: (setCookie: string) => PendingCommit): PendingCommit {
  const setCookies: string[] = [];
  return {
    setCookies,
    needsPersist: true,
    persist: async () => {
      const pending = decide(await cookie);
      setCookies.push(...pending.setCookies);
      if (pending.needsPersist) await pending.persist();
    },
  };
}

/** A commit whose `first` work runs before the commit's own (whose Set-Cookie it then carries). */
function thenPersist(first: () => Promise<void>, pending: PendingCommit): PendingCommit {
  return {
    setCookies: pending.setCookies,
    needsPersist: true,
    persist: async () => {
      await first();
      if (pending.needsPersist) await pending.persist();
    },
  };
}

const EXCEPT_TAKES = 'Pass the request\'s session (except: req.session), its id (req.session.id), or a handle from listSessions().';
/** Session ids are at least 16 random bytes and handles 22 characters, both base64url: nothing else can name a session. */
const SESSION_NAME = /^[A-Za-z0-9_-]{22,}$/;

/** What `except` as a session object keeps: the handle of its id. */
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

/** Bytes of a string in UTF-8, without encoding it. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x80) bytes += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/**
 * A commit that writes nothing and fails with `message`: a session too big to keep (browsers
 * would drop an oversized cookie without a word) is refused loudly instead.
 */
function refused(carrier: Carrier, message: string): PendingCommit {
  const error = new StoreError(carrier.name, message);
  return { setCookies: [], needsPersist: true, persist: () => Promise.reject(error) };
}
