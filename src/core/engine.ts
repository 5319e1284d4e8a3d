import { isCarrierSource, type CarriedRecord, type Carrier } from './carrier.js';
import { CookieWriter, readCookie } from './cookie-header.js';
import { IdCodec } from './ids.js';
import type { Logger } from './logger.js';
import type { PendingCommit, RequestContext, SessionManager } from './manager.js';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from './options.js';
import { enableRequestContext } from './request-context.js';
import {
  assignData,
  freshState,
  isRefreshDue,
  SessionObject,
  sessionData,
  stateIfOwnedBy,
  type Session,
  type SessionData,
  type SessionOwner,
  type SessionState,
} from './session.js';
import { StoreCarrier } from './store-carrier.js';
import { isExpired, StoreError, type Store, type StoreRecord } from './store.js';

export type { PendingCommit, RequestContext, SessionManager };

/**
 * What the engine stores for one session: its fields and its permanent flag, and the id
 * when the cookie holds the session (a sealed cookie has no store key to carry it).
 */
export interface Payload {
  p: boolean;
  d: Record<string, unknown>;
  i?: string;
}

type Action = 'none' | 'create' | 'update' | 'touch' | 'delete';

const NOTHING_TO_PERSIST = async () => {};
/** The commit of an unchanged session that needs no cookie: shared, as it is the common case. */
const NOTHING_TO_COMMIT: PendingCommit = Object.freeze({ setCookies: Object.freeze([]), needsPersist: false, persist: NOTHING_TO_PERSIST });

/**
 * The session engine: turns a Cookie header into a session and a session back into a
 * Set-Cookie header and store operations. Where the session lives — a store the cookie's
 * id points into, or the cookie itself (`cookieStore()`) — is its carrier (./carrier.ts);
 * every decision is made here, once, for both. Adapters are thin shells around `load`
 * and `commit`.
 */
export class SessionEngine<T extends object = SessionData> implements SessionManager<T>, SessionOwner {
  readonly options: ResolvedOptions;
  /** Settles when the store is there: at once, or once a store chosen by `type` has loaded. */
  readonly ready: Promise<void>;
  readonly #ids: IdCodec;
  readonly #cookies: CookieWriter;
  #carrier: Carrier | undefined;

  constructor(options: SessionOptions = {}) {
    this.options = resolveOptions(options);
    this.#ids = new IdCodec(this.options.idLength, this.options.secrets);
    this.#cookies = new CookieWriter(this.options.cookie);
    if (this.options.requestContext) enableRequestContext();
    const store = this.options.store;
    if (store instanceof Promise) {
      this.ready = store.then((loaded) => {
        this.#carrier = this.#storeCarrier(loaded);
      });
      // Reported at start-up, and again by every load() until the store is fixed.
      this.ready.catch((error: unknown) => this.logger.warn(`the session store could not be set up: ${String(error)}`));
    } else {
      this.#carrier = isCarrierSource(store) ? store.createCarrier(this.options.secrets) : this.#storeCarrier(store);
      this.ready = Promise.resolve();
    }
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

  get canLoadSync(): boolean {
    return this.#carrier?.opensSync === true;
  }

  /**
   * The session a request's Cookie header points to. An unknown, expired, forged or
   * malformed cookie yields a fresh session with a NEW id: a client-chosen id is never
   * adopted. Rejects only when the store itself fails.
   */
  async load(cookieHeader: string | undefined): Promise<Session<T>> {
    if (!this.#carrier) await this.ready;
    const carrier = this.#carrier!;
    const cookieValue = readCookie(cookieHeader, this.cookieName);
    const carried = cookieValue === undefined ? undefined : await carrier.open(cookieValue);
    return this.#sessionFrom(carrier, cookieValue !== undefined, carried);
  }

  /** `load` without a promise, where the carrier reads synchronously (`canLoadSync`). */
  loadSync(cookieHeader: string | undefined): Session<T> {
    const carrier = this.#carrier;
    if (!carrier?.opensSync) {
      throw new Error('sessionkit: loadSync() needs a store that reads synchronously (see canLoadSync); call load() instead.');
    }
    const cookieValue = readCookie(cookieHeader, this.cookieName);
    const carried = cookieValue === undefined ? undefined : carrier.openSync(cookieValue);
    return this.#sessionFrom(carrier, cookieValue !== undefined, carried);
  }

  #storeCarrier(store: Store): StoreCarrier {
    return new StoreCarrier(store, this.#ids, this.options.keyPrefix);
  }

  #sessionFrom(carrier: Carrier, cookieReceived: boolean, carried: CarriedRecord | undefined): Session<T> {
    const record = carried?.record;
    const payload = record && !isExpired(record) ? this.#decodeRecord(carrier, record) : undefined;
    const id = carried?.id ?? payload?.i;
    if (!record || !payload || id === undefined) return this.#session(freshState(this.options, cookieReceived), undefined);
    return this.#session(
      {
        id,
        isNew: false,
        loadedBytes: record.data,
        version: record.version,
        expiresAt: record.expiresAt,
        permanent: payload.p,
        retiredIds: [],
        cookieReceived: true,
      },
      payload.d,
    );
  }

  /**
   * Decides what a session needs at the end of a request. Nothing is written and no
   * cookie is set for a session that was neither modified nor due for a refresh.
   */
  commit(session: Session<T>, context: RequestContext = {}): PendingCommit {
    const state = this.#stateOf(session);
    // A session exists only once load() has the carrier.
    const carrier = this.#carrier!;
    const inCookie = carrier.store === undefined;
    const now = Date.now();
    const empty = isEmpty(session);
    let bytes: Uint8Array | undefined;
    let action: Action;
    if (empty) {
      action = state.isNew ? 'none' : 'delete';
    } else {
      const payload: Payload = inCookie ? { p: state.permanent, d: session, i: state.id } : { p: state.permanent, d: session };
      const codec = this.options.codec;
      // Most requests change nothing: compare in the codec's reusable buffer, copy on change.
      const transient = codec.encodeTransient ? codec.encodeTransient(payload) : codec.encode(payload);
      const changed = state.isNew || !equalBytes(transient, state.loadedBytes);
      // Unchanged bytes equal those loaded, which the session owns (a touch may rewrite them).
      bytes = !changed ? state.loadedBytes : codec.encodeTransient ? transient.slice() : transient;
      if (state.isNew) action = 'create';
      else if (changed) action = 'update';
      else action = isRefreshDue(this.options, state, now) ? 'touch' : 'none';
    }
    const retiresSome = state.retiredIds.length > 0;
    const expiresAt = now + this.options.lifetimeMs;
    const setCookie = this.#cookieFor(carrier, state, action, empty, retiresSome, bytes, now, expiresAt, context);
    if (setCookie !== undefined && carrier.maxCookieBytes !== undefined && Buffer.byteLength(setCookie) > carrier.maxCookieBytes) {
      return oversized(carrier, bytes!, setCookie);
    }
    const setCookies = setCookie === undefined ? [] : [setCookie];
    if (inCookie) {
      // The cookie is the write: the session is saved the moment its cookie is decided.
      state.retiredIds.length = 0;
      this.#written(state, action, bytes, undefined, expiresAt);
      return setCookie === undefined ? NOTHING_TO_COMMIT : { setCookies, needsPersist: false, persist: NOTHING_TO_PERSIST };
    }
    if (action === 'none' && !retiresSome) {
      return setCookie === undefined ? NOTHING_TO_COMMIT : { setCookies, needsPersist: false, persist: NOTHING_TO_PERSIST };
    }
    return { setCookies, needsPersist: true, persist: () => this.#persist(carrier, carrier.store!, session, state, action, bytes, expiresAt) };
  }

  /** Gives a session a new id, keeping its data; the old record is deleted on commit. */
  regenerate(session: SessionObject): void {
    const state = this.#stateOf(session);
    if (!state.isNew) state.retiredIds.push(state.id);
    Object.assign(state, freshState(this.options, state.cookieReceived), {
      permanent: state.permanent,
      retiredIds: state.retiredIds,
    });
  }

  #session(state: SessionState, data: Record<string, unknown> | undefined): Session<T> {
    return new SessionObject(this, state, data) as unknown as Session<T>;
  }

  #stateOf(session: object): SessionState {
    // An engine's own sessions always carry its full SessionState.
    const state = stateIfOwnedBy(session, this) as SessionState | undefined;
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
  ): string | undefined {
    const configured = this.options.cookie.secure;
    const secure = configured === 'auto' ? context.secure === true : configured;
    if (empty) {
      // A deleted, destroyed or never-valid session: make the browser forget the cookie.
      return action === 'delete' || retiredSome || state.cookieReceived ? this.#cookies.clear(secure) : undefined;
    }
    // A refresh moves the expiry: a persistent cookie must say so, and a cookie that holds
    // the session holds its expiry too. A browser-session cookie with an id stays as it is.
    const refreshesCookie = state.permanent || carrier.store === undefined;
    const sendsCookie = action === 'create' || action === 'update' || (action === 'touch' && refreshesCookie);
    if (!sendsCookie) return undefined;
    const lifetime = state.permanent ? this.options.lifetimeMs : undefined;
    return this.#cookies.set(carrier.cookieValue(state.id, bytes!, expiresAt), secure, now, lifetime);
  }

  /** Records what was written: the state a later commit of the same session compares with. */
  #written(state: SessionState, action: Action, bytes: Uint8Array | undefined, version: string | undefined, expiresAt: number): void {
    switch (action) {
      case 'delete':
        state.isNew = true;
        break;
      case 'touch':
        state.expiresAt = expiresAt;
        break;
      case 'create':
      case 'update':
        state.isNew = false;
        state.loadedBytes = bytes;
        state.version = version;
        state.expiresAt = expiresAt;
        break;
      case 'none':
        break;
    }
  }

  async #persist(
    carrier: Carrier,
    store: Store,
    session: Session<T>,
    state: SessionState,
    action: Action,
    bytes: Uint8Array | undefined,
    expiresAt: number,
  ): Promise<void> {
    // Taken only here: a commit whose persist() never runs (the cookie decision made
    // when a streamed response sent its headers) leaves them for the final commit.
    const retired = state.retiredIds.splice(0);
    await Promise.all(retired.map((id) => store.delete(carrier.key(id))));
    const key = carrier.key(state.id);
    switch (action) {
      case 'delete':
        await store.delete(key);
        break;
      case 'touch':
        await this.#touch(store, key, state, bytes!, expiresAt);
        break;
      case 'create':
        await this.#create(store, key, { data: bytes!, expiresAt });
        break;
      case 'update':
        if (!(await this.#update(store, session, key, state, bytes!, expiresAt))) return;
        break;
      case 'none':
        return;
    }
    this.#written(state, action, bytes, undefined, expiresAt);
  }

  async #create(store: Store, key: string, record: StoreRecord): Promise<void> {
    if (!store.create) {
      await store.set(key, record);
      return;
    }
    // 256 random bits never collide in practice; if they ever do, refuse rather than
    // overwrite another user's session.
    if (!(await store.create(key, record))) {
      throw new StoreError(store.name, 'a new session id collided with a live session; the write was refused.');
    }
  }

  async #touch(store: Store, key: string, state: SessionState, bytes: Uint8Array, expiresAt: number): Promise<void> {
    if (store.touch) await store.touch(key, expiresAt);
    // Without touch, rewrite the same bytes, but never over a newer concurrent write.
    else if (store.setIf && state.version) await store.setIf(key, { data: bytes, expiresAt }, state.version);
    else await store.set(key, { data: bytes, expiresAt });
  }

  /** Writes a changed session; false when the write recorded its own outcome (a merge, or a record gone). */
  async #update(store: Store, session: Session<T>, key: string, state: SessionState, bytes: Uint8Array, expiresAt: number): Promise<boolean> {
    if (!store.setIf || state.version === undefined) {
      this.#written(state, 'update', bytes, await store.set(key, { data: bytes, expiresAt }), expiresAt);
      return false;
    }
    if (await store.setIf(key, { data: bytes, expiresAt }, state.version)) return true;
    await this.#mergeAfterConflict(store, session, key, state, expiresAt);
    return false;
  }

  /**
   * Another request wrote this session since we read it. Re-read it, re-apply only the
   * top-level keys this request set or deleted, and compare-and-set again. A key only
   * the other request changed keeps its value; a record that vanished (destroyed or
   * regenerated elsewhere) is never brought back. Two requests that change the same key:
   * the last writer wins.
   */
  async #mergeAfterConflict(store: Store, session: Session<T>, key: string, state: SessionState, expiresAt: number) {
    const original = this.#decodeRecord(this.#carrier!, { data: state.loadedBytes!, expiresAt: Number.POSITIVE_INFINITY })!;
    const current = sessionData(session);
    const changed = Object.keys(current).filter(
      (field) => !Object.hasOwn(original.d, field) || !equalBytes(this.#encode(current[field]), this.#encode(original.d[field])),
    );
    const removed = Object.keys(original.d).filter((field) => !Object.hasOwn(current, field));
    const permanentChanged = original.p !== state.permanent;

    let roundTripMs = 1;
    for (let attempt = 0; attempt < this.options.maxConflictRetries; attempt++) {
      // Random pauses that grow with each attempt and with the store's own latency spread
      // out requests that keep colliding (exponential backoff with full jitter).
      if (attempt > 0) await delay(Math.random() * Math.min(1000, roundTripMs * 2 ** attempt));
      const started = Date.now();
      const latest = await store.get(key);
      const latestPayload = latest && this.#decodeRecord(this.#carrier!, latest);
      if (!latest || !latestPayload) return; // gone: destroyed or regenerated by another request
      const merged: Record<string, unknown> = {};
      assignData(merged, latestPayload.d);
      for (const field of changed) assignData(merged, { [field]: current[field] });
      for (const field of removed) delete merged[field];
      const payload = { p: permanentChanged ? state.permanent : latestPayload.p, d: merged };
      const bytes = this.#encode(payload);
      if (await store.setIf!(key, { data: bytes, expiresAt }, latest.version!)) {
        this.#written(state, 'update', bytes, undefined, expiresAt);
        return;
      }
      roundTripMs = Math.max(1, Date.now() - started);
    }
    throw new StoreError(
      store.name,
      `the session changed under ${this.options.maxConflictRetries} consecutive concurrent writes and could not be saved. ` +
        'Raise maxConflictRetries if many requests of one session write at once.',
    );
  }

  #encode(value: unknown): Uint8Array {
    return this.options.codec.encode(value);
  }

  /** The payload of a record, or undefined (with one warning) when it cannot be read. */
  #decodeRecord(carrier: Carrier, record: StoreRecord): Payload | undefined {
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

/** Browsers drop an oversized cookie without a word: refuse it loudly instead. */
function oversized(carrier: Carrier, bytes: Uint8Array, setCookie: string): PendingCommit {
  const error = new StoreError(
    carrier.name,
    `the session is ${bytes.length} bytes serialized and its Set-Cookie header would be ${Buffer.byteLength(setCookie)} bytes, ` +
      `over the ${carrier.maxCookieBytes}-byte cookie limit. Keep large data in a server-side store.`,
  );
  return { setCookies: [], needsPersist: true, persist: () => Promise.reject(error) };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function isPayload(value: unknown): value is Payload {
  if (typeof value !== 'object' || value === null) return false;
  const { p, d } = value as Partial<Payload>;
  return typeof p === 'boolean' && typeof d === 'object' && d !== null && !Array.isArray(d);
}

export function isEmpty(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return false;
  return true;
}

export function equalBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;
}
