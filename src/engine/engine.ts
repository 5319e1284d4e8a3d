import type { CsrfPolicy } from '../core/manager.js';
import { dropCsrfToken } from '../forms/csrf.js';
import { isCarrierSource, type CarriedRecord, type Carrier, type CarrierSource } from '../core/carrier.js';
import type { Logger } from '../core/logger.js';
import { isManager, type ListSessionsOptions, type PendingCommit, type RequestContext, type RevokeSessionsOptions, type SessionManager, type UserSession } from '../core/manager.js';
import type { Store } from '../core/store.js';
import { openLocked, type LockWaitObserver } from '../lock/open-locked.js';
import type { SessionEventListener, SessionEventName, SessionEvents } from '../core/events.js';
import { handleOf } from '../core/handle.js';
import { EngineEvents } from '../events/emitter.js';
import { loadReport } from '../events/load-report.js';
import { reportedCommit, reportStoreError, watchesCommit } from '../events/commit-report.js';
import type { HeldLock } from '../lock/session-lock.js';
import { MigrationLoad } from './migration-load.js';
import { chunkedCookiesFor, cookieFor, planCommit, type CommitPlan } from './commit-plan.js';
import type { ChunkedCookies } from './cookie/cookie-chunks.js';
import { CookieWriter, readCookie } from './cookie/cookie-header.js';
import type { MaybePromise } from '../crypto/primitives.js';
import { IdCodec } from './cookie/ids.js';
import { SessionCookie } from './cookie/session-cookie.js';
import type { SessionCookieView } from '../core/session.js';
import { DeferredParts } from './deferred.js';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from './options.js';
import { partsFor, type EngineParts } from './parts.js';
import { decidedAfter, Persister, refusedCommit, thenPersist } from './persist.js';
import { decodeRecord, SessionReader } from './read.js';
import { enableRequestContext } from './request-context.js';
import { assignData, clearData, SessionObject, sessionClassOf, sessionData, stateIfOwnedBy, type Session, type SessionClass, type SessionData, type SessionOwner } from './session.js';
import { freshState, loadedState, regeneratedState, renewedState, type SessionState } from './session-state.js';
import { StoreCarrier } from './store-carrier.js';
import { hashedIdCarrier } from './hashed-id-carrier.js';
import { UserControls } from './user-controls.js';
import { isExpired, type StoreRecord } from '../core/store.js';
import { SessionConfigError } from '../core/errors.js';
import type { Freshness } from '../freshness/freshness.js';
import type { SessionSchema } from '../schema/session-schema.js';

export type { PendingCommit, RequestContext, SessionManager };

/** What `finish` answers when the request holds nothing. */
const NOTHING_TO_FINISH: Promise<void> = Promise.resolve();

/** What the engine runs on once its carrier is there. */
interface Running {
  readonly parts: EngineParts;
  readonly reader: SessionReader;
  readonly persister: Persister;
  /** With `migrate`: the other library's sessions, moved in as requests come. */
  readonly migration: MigrationLoad | undefined;
}

/**
 * The session engine: turns a Cookie header into a session and a session back into a
 * Set-Cookie header and store operations, in three steps: load (./read.ts), decide
 * (./commit-plan.ts) and persist (./persist.ts). Where the session lives — a store the
 * cookie's id points into, or the cookie itself (`cookieStore()`) — is its carrier
 * (core/carrier.ts). Adapters are thin shells around `load` and `commit`.
 */
export class SessionEngine<T extends object = SessionData> implements SessionManager<T>, SessionOwner, SessionEvents {
  readonly options: ResolvedOptions;
  readonly #running: DeferredParts<Running>;
  readonly #userControls: UserControls;
  readonly #events: EngineEvents;

  constructor(options: SessionOptions = {}) {
    this.options = resolveOptions(options);
    this.#events = new EngineEvents(this.options.logger, this.options.events);
    const ids = new IdCodec(this.options.idLength, this.options.secrets);
    const cookies = new CookieWriter(this.options.cookie);
    // A promise only on Workers without `process` (see request-context.ts).
    const context = this.options.requestContext ? enableRequestContext() : undefined;
    this.#running = new DeferredParts(this.options.store, context, (store) => this.#run(this.#carrierFor(store, ids), cookies));
    this.#userControls = new UserControls(async () => (await this.#running.whenReady()).parts, this);
  }

  /** Calls `listener` for every `name` event of this engine's sessions (core/events.ts); returns the function that unsubscribes it. */
  on<K extends SessionEventName>(name: K, listener: SessionEventListener<K>): () => void {
    return this.#events.on(name, listener);
  }

  #run(carrier: Carrier, cookies: CookieWriter): Running {
    const decode = (record: StoreRecord) => decodeRecord(this.options, carrier, record);
    const parts = partsFor(this.options, carrier, { cookies, decode, events: this.#events });
    const reader = new SessionReader(parts, this);
    const migrate = this.options.migrate;
    const engine = { commit: (session: SessionObject) => this.commit(session), stateOf: (session: object) => this.#stateOf(session) };
    return { parts, reader, persister: new Persister(parts), migration: migrate && new MigrationLoad(migrate, parts, reader, engine) };
  }

  #carrierFor(store: Store | CarrierSource, ids: IdCodec): Carrier {
    const { secrets, hashIds } = this.options;
    if (isCarrierSource(store)) return store.createCarrier(secrets);
    return hashIds ? hashedIdCarrier(store, ids, this.options, hashIds) : new StoreCarrier(store, ids, this.options);
  }

  /**
   * Settles when the store is there: at once, or once a store chosen by `type` has loaded.
   * An application that asks for it handles a store that could not be set up itself.
   */
  get ready(): Promise<void> {
    return this.#running.ready;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** The store sessions live in; undefined for sealed cookies, or while a store chosen by name loads. */
  get store(): Store | undefined {
    return this.#running.now?.parts.carrier.store;
  }

  get cookieName(): string {
    return this.options.cookie.name;
  }

  /**
   * Synchronous loads need a carrier that reads synchronously, and no migration (which reads
   * another store). Nor a schema: a Standard Schema validator may answer with a promise, and
   * which do is known only once one has (zod does when it meets an asynchronous refinement).
   */
  get canLoadSync(): boolean {
    const { migrate, revocations, lock, schema } = this.options;
    return this.#running.now?.parts.carrier.opensSync === true && migrate === undefined && revocations === undefined && lock === undefined && schema === undefined;
  }

  /** Requests hold something until they end (the `lock` option): adapters then call `finish`. */
  get locks(): boolean {
    return this.options.lock !== undefined;
  }

  /** With the `csrf` option: where adapters look for the token on unsafe requests. */
  get csrf(): CsrfPolicy | undefined {
    return this.options.csrf;
  }

  /**
   * The session a request's Cookie header points to. An unknown, expired, forged or
   * malformed cookie yields a fresh session with a NEW id: a client-chosen id is never
   * adopted. Rejects only when the store itself fails.
   */
  async load(cookieHeader: string | undefined, kind: SessionClass = SessionObject): Promise<Session<T>> {
    const { parts, reader, migration } = this.#running.now ?? (await this.#running.whenReady());
    // The request's one question to the events (core/events.ts EventState): nobody there, nothing below reports or builds a report.
    const events = this.#heard();
    const chunks = parts.chunks;
    // A sealed session in chunks (cookieStore({ chunk: true })) is read from all its cookies.
    const received = chunks?.read(cookieHeader);
    const cookieValue = received ? received.value : readCookie(cookieHeader, this.cookieName);
    let carried: CarriedRecord | undefined;
    let lock: HeldLock | undefined;
    if (cookieValue !== undefined) {
      try {
        // With `lock`, the session's lock is held once the record is known (../lock/open-locked.ts);
        // without, the record alone, with no object made per request.
        if (parts.locks) ({ carried, lock } = await openLocked(parts.carrier, parts.locks, cookieValue, events && this.#lockWaited));
        else carried = await parts.carrier.open(cookieValue);
      } catch (error) {
        if (events) reportStoreError(events, error, 'load');
        throw error;
      }
    }
    const report = events && loadReport(events);
    let session = reader.sessionFrom(cookieValue !== undefined, carried, kind, report?.miss);
    if (parts.schema && !session.isNew) {
      session = await this.#checked(session, parts.schema, lock, kind);
      // The schema's 'fresh' (or an upgrade that did not mend the data) put a fresh session in its place.
      if (session.isNew) report?.miss('invalid');
    }
    if (lock) {
      // A session that turned out fresh (gone while we waited) has a new id nobody else knows: nothing to hold.
      // Awaited: workerd would cancel a release left running when this request ends.
      if (session.isNew) await this.#release(lock);
      else this.#stateOf(session).lock = lock;
    }
    const revoked = parts.accounts?.revoked(this.#stateOf(session));
    if (revoked && (await revoked)) {
      // Its user logged out everywhere since it signed in, or this session was ended: a fresh session, and the cookie goes.
      session = reader.session(kind, freshState(this.options, true), undefined);
      report?.miss('revoked');
    }
    if (received) chunks!.received(this.#stateOf(session), received, carried !== undefined);
    const result = migration && session.isNew ? await migration.migrated(session, cookieHeader, kind) : session;
    const state = this.#stateOf(result);
    state.unheard = events === undefined;
    report?.done(parts.carrier, state, cookieValue, carried);
    return result as unknown as Session<T>;
  }

  /** With `schema`: the loaded session as checked (./read.ts `checked`); its lock given back when the check throws. */
  async #checked(session: SessionObject, schema: SessionSchema, lock: HeldLock | undefined, kind: SessionClass): Promise<SessionObject> {
    try {
      return await this.#runningNow().reader.checked(session, schema, kind);
    } catch (error) {
      if (lock) await this.#release(lock);
      throw error;
    }
  }

  /** The events, when anybody listens to any of them now; asked once per request, at load. */
  #heard(): EngineEvents | undefined {
    return this.#events.listening() ? this.#events : undefined;
  }

  /** Where the lock reports a request that waited for its session's lock (`lock`), when somebody listened as it began. */
  readonly #lockWaited: LockWaitObserver = (id, waitedMs, timedOut) => {
    const name = timedOut ? 'lockTimedOut' : 'lockWaited';
    if (this.#events.wants(name)) this.#events.emit(name, { handle: handleOf(id), store: this.#carrierName, waitedMs });
  };

  /** The carrier's name for events: its store's, or 'cookie'. */
  get #carrierName(): string {
    return this.#running.now?.parts.carrier.name ?? '';
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
    const running = this.#running.now;
    if (!running?.parts.carrier.opensSync) {
      throw new Error('sessionkit: loadSync() needs a store that reads synchronously (see canLoadSync); call load() instead.');
    }
    const chunks = running.parts.chunks;
    const received = chunks?.read(cookieHeader);
    const cookieValue = received ? received.value : readCookie(cookieHeader, this.cookieName);
    const carried = cookieValue === undefined ? undefined : running.parts.carrier.openSync(cookieValue);
    const events = this.#heard();
    const report = events && loadReport(events);
    const session = running.reader.sessionFrom(cookieValue !== undefined, carried, kind, report?.miss);
    const state = this.#stateOf(session);
    if (received) chunks!.received(state, received, carried !== undefined);
    state.unheard = events === undefined;
    report?.done(running.parts.carrier, state, cookieValue, carried);
    return session as unknown as Session<T>;
  }

  /**
   * Decides what a session needs at the end of a request (./commit-plan.ts) and returns
   * the Set-Cookie values and the store work to run (./persist.ts).
   */
  commit(session: Session<T> | SessionObject, context: RequestContext = {}): PendingCommit {
    const state = this.#stateOf(session);
    const { parts, persister } = this.#runningNow();
    // With `bind`: bound when its user signs in, compared with this request after (../events/client-binding.ts).
    parts.binding?.check(state, session as unknown as Readonly<Record<string, unknown>>, context);
    const plan = planCommit(parts, session, state, persister.canWriteAtOnce);
    const schema = parts.schema;
    if (schema?.validatesWrites && (plan.action === 'create' || plan.action === 'update')) return this.#checkedCommit(schema, session, plan, context);
    return this.#pendingFor(parts, persister, plan, context);
  }

  /** validateWrites: data that does not match is not written (nor its cookie set), and the commit fails. */
  #checkedCommit(schema: SessionSchema, session: object, plan: CommitPlan, context: RequestContext): PendingCommit {
    const { parts, persister } = this.#runningNow();
    try {
      const checked = schema.written(sessionData(session));
      return checked instanceof Promise ? decidedAfter(checked, () => this.#pendingFor(parts, persister, plan, context)) : this.#pendingFor(parts, persister, plan, context);
    } catch (error) {
      return refusedCommit(error);
    }
  }

  /** The Set-Cookie values and the store work of a plan. */
  #pendingFor(parts: EngineParts, persister: Persister, plan: CommitPlan, context: RequestContext): PendingCommit {
    const cookie: MaybePromise<string | ChunkedCookies> | undefined = parts.chunks ? chunkedCookiesFor(parts, plan, context) : cookieFor(parts, plan, context);
    // With Web Crypto the cookie's signature or seal comes with a promise: so does the commit's Set-Cookie.
    const pending = cookie instanceof Promise ? decidedAfter(cookie, (setCookie) => persister.pendingCommit(plan, setCookie)) : persister.pendingCommit(plan, cookie);
    // A sealed cookie cannot be deleted: the one a logout, destroy() or regenerate() leaves is refused first.
    const first = parts.accounts?.leftBehind(plan.state, plan.bytes !== undefined, plan.now, plan.expiresAt);
    const committed = first ? thenPersist(first, pending) : pending;
    // A request nobody listened to as it began gets the persister's own commit, unwrapped.
    if (plan.state.unheard || !watchesCommit(this.#events, plan.action)) return committed;
    return reportedCommit(this.#events, { store: parts.carrier.name, action: plan.action, id: plan.state.id }, committed);
  }

  /**
   * Gives a session a new id, keeping its data; the old record is deleted on commit. A login
   * inside a session does not restart its absolute clock; `destroy()` does (`restartClock`).
   */
  regenerate(session: SessionObject, restartClock = false): void {
    // With the csrf option a token seen before (login) is worthless after; without, a Flask-style csrf_token stays.
    if (this.options.csrf) dropCsrfToken(session);
    const state = this.#stateOf(session);
    const previous = state.isNew ? undefined : state.id;
    this.#regenerate(session, restartClock);
    // destroy() is the one caller that restarts the clock: the session it ends is gone.
    if (previous !== undefined && !state.unheard) this.#reportRenewal(previous, restartClock ? undefined : state.id);
  }

  #regenerate(session: SessionObject, restartClock = false): void {
    const state = this.#stateOf(session);
    Object.assign(state, regeneratedState(this.options, state, restartClock));
  }

  /** A new, empty session to replace `session`: its id and the ids it retired are deleted when the new one commits. */
  renew(session: SessionObject): SessionObject {
    const state = this.#stateOf(session);
    const renewed = renewedState(this.options, state);
    if (!state.isNew && !state.unheard) this.#reportRenewal(state.id, renewed.id);
    return new (sessionClassOf(session))(this, renewed, undefined);
  }

  /** `regenerated` (the session now has `next`), or `destroyed` (no `next`), for the session that was `previous`. */
  #reportRenewal(previous: string, next: string | undefined): void {
    const events = this.#events;
    const store = this.#carrierName;
    if (next === undefined) {
      if (events.wants('destroyed')) events.emit('destroyed', { handle: handleOf(previous), store });
    } else if (events.wants('regenerated')) {
      events.emit('regenerated', { handle: handleOf(next), store, previous: handleOf(previous) });
    }
  }

  /** Reads the session again from its carrier. A session whose record is gone becomes a fresh one. */
  async reload(session: SessionObject): Promise<void> {
    const state = this.#stateOf(session);
    const { parts, reader } = this.#runningNow();
    const record = await this.#recordOf(parts, state);
    const payload = record && !isExpired(record) ? decodeRecord(this.options, parts.carrier, record) : undefined;
    clearData(session);
    if (!record || !payload) {
      // Gone (revoked, expired): what the user proved went with it.
      state.authenticatedAt = undefined;
      state.authenticatedUser = undefined;
      if (!state.isNew) this.#regenerate(session);
      return;
    }
    const { retiredIds, cookieReceived, heldChunks, indexed, signedIn, issuedSignIn, unheard } = state;
    Object.assign(state, loadedState(state.id, record, payload), { retiredIds, cookieReceived, heldChunks, indexed, signedIn, issuedSignIn, unheard });
    parts.accounts?.reloaded(state, payload.d, payload);
    parts.freshness?.loaded(state, payload.d, payload);
    const data = parts.schema ? await parts.schema.loaded(payload.d, () => `the stored session ${handleOf(state.id)}`) : payload.d;
    if (data) reader.warnSkipped(assignData(session, data));
    else this.regenerate(session);
  }

  /** The record a session has now: its store's, or (sealed cookies) the one it was loaded from. */
  async #recordOf(parts: EngineParts, state: SessionState): Promise<StoreRecord | undefined> {
    const carrier = parts.carrier;
    if (!carrier.store) return state.loadedBytes && state.expiresAt !== undefined ? { data: state.loadedBytes, expiresAt: state.expiresAt } : undefined;
    return state.isNew ? undefined : carrier.store.get(carrier.sessionKey(state.id));
  }

  /** The user's live sessions (needs `userField`), most recently active first; see ./user-controls.ts. */
  listSessions(userId: string | number, options?: ListSessionsOptions): Promise<UserSession[]> {
    return this.#userControls.listSessions(userId, options);
  }

  /** Ends all the user's sessions, or all but `except`; resolves how many (0 for sealed cookies). See ./user-controls.ts. */
  revokeSessions(userId: string | number, options?: RevokeSessionsOptions): Promise<number> {
    return this.#userControls.revokeSessions(userId, options);
  }

  /** Ends the session `handle` names; false when it was not live. */
  revokeSession(userId: string | number, handle: string): Promise<boolean> {
    return this.#userControls.revokeSession(userId, handle);
  }

  touch(session: SessionObject): void {
    this.#stateOf(session).touchRequested = true;
  }

  markAuthenticated(session: SessionObject): void {
    this.#freshness('markAuthenticated()').mark(this.#stateOf(session), Date.now());
  }

  authenticatedAt(session: SessionObject): number | undefined {
    this.#freshness('authenticatedAt');
    return this.#stateOf(session).authenticatedAt;
  }

  /** The freshness part; without the option, an error that says to set it (else every guard would answer "never authenticated"). */
  #freshness(what: string): Freshness {
    const freshness = this.#runningNow().parts.freshness;
    if (!freshness) throw new SessionConfigError(`${what} needs the freshness option: set freshness: true where the sessions are configured.`);
    return freshness;
  }

  cookieOf(session: SessionObject): SessionCookieView {
    const state = this.#stateOf(session);
    return (state.cookieView ??= new SessionCookie(state, this.options, () => {
      clearData(session);
      this.#regenerate(session);
    }));
  }

  /** What the engine runs on; a session exists only once load() has it. */
  #runningNow(): Running {
    const running = this.#running.now;
    if (!running) throw new TypeError('sessionkit: a session is used before its engine has its store (await engine.ready).');
    return running;
  }

  #stateOf(session: object): SessionState {
    // An engine's own sessions always carry its full state.
    const state = stateIfOwnedBy(session, this) as SessionState | undefined;
    if (!state) throw new TypeError('sessionkit: commit() needs a session returned by load() of the same engine.');
    return state;
  }
}

/**
 * The manager an adapter was given, or the engine built from plain options (with a
 * store, a store chosen by `type`, or `cookieStore()`).
 */
export function toSessionManager<T extends object = SessionData>(options: SessionOptions | SessionManager<T>): SessionManager<T> {
  return isManager<T>(options) ? options : new SessionEngine<T>(options);
}
