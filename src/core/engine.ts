import { enableRequestContext } from './request-context.js';
import { CookieWriter, readCookie } from './cookie-header.js';
import { IdCodec } from './ids.js';
import { resolveOptions, type Logger, type ResolvedOptions, type SessionOptions } from './options.js';
import { assignData, freshState, isRefreshDue, SessionObject, sessionData, STATE, type Session, type SessionData, type SessionState } from './session.js';
import { isExpired, StoreError, type Store, type StoreRecord } from './store.js';

/** What the engine stores for one session: its fields and its permanent flag. */
export interface Payload {
  p: boolean;
  d: Record<string, unknown>;
}

/** Per-request facts an adapter knows and the engine needs. */
export interface RequestContext {
  /** The request came over HTTPS (used when cookie.secure is 'auto'). */
  secure?: boolean;
}

/**
 * The outcome of committing a session, in two steps because headers and the store are
 * written at different moments: `setCookies` are known at once (an adapter can send it
 * even when the body is already streaming), `persist()` performs the store operations.
 */
export interface PendingCommit {
  /** Set-Cookie header values to send; empty when no cookie changes. */
  readonly setCookies: readonly string[];
  /** False when there is nothing to write: adapters may then skip `persist()` altogether. */
  readonly needsPersist: boolean;
  persist(): Promise<void>;
}

type Action = 'none' | 'create' | 'update' | 'touch' | 'delete';

const NOTHING_TO_PERSIST = async () => {};
/** The commit of an unchanged session that needs no cookie: shared, as it is the common case. */
const NOTHING_TO_COMMIT: PendingCommit = Object.freeze({ setCookies: Object.freeze([]), needsPersist: false, persist: NOTHING_TO_PERSIST });

/**
 * What adapters need from an engine: the single-store `SessionEngine`, or an engine that
 * spreads one session over several cookies and stores.
 */
export interface SessionManager<T extends object = SessionData> {
  /** Where adapters report failures they handle themselves. */
  readonly logger: Logger;
  load(cookieHeader: string | undefined): Promise<Session<T>>;
  /** `load` without a promise where every store can read synchronously; otherwise undefined. */
  loadSync(cookieHeader: string | undefined): Session<T> | undefined;
  commit(session: Session<T>, context?: RequestContext): PendingCommit;
}

/**
 * The framework-agnostic session engine: turns a Cookie header into a session and a
 * session back into store operations and a Set-Cookie header. Adapters are thin shells
 * around `load` and `commit`.
 */
export class SessionEngine<T extends object = SessionData> implements SessionManager<T> {
  readonly options: ResolvedOptions;
  readonly #ids: IdCodec;
  readonly #cookies: CookieWriter;

  constructor(options: SessionOptions = {}) {
    this.options = resolveOptions(options);
    this.#ids = new IdCodec(this.options.idLength, this.options.secrets);
    this.#cookies = new CookieWriter(this.options.cookie);
    if (this.options.requestContext) enableRequestContext();
  }

  get logger(): Logger {
    return this.options.logger;
  }

  get store(): Store {
    return this.options.store;
  }

  get cookieName(): string {
    return this.options.cookie.name;
  }

  /**
   * The session a request's Cookie header points to. An unknown, expired, forged or
   * malformed id yields a fresh session with a NEW id: a client-chosen id is never
   * adopted. Rejects only when the store itself fails.
   */
  async load(cookieHeader: string | undefined): Promise<Session<T>> {
    const cookieValue = readCookie(cookieHeader, this.cookieName);
    const id = this.#ids.decode(cookieValue);
    const record = id === undefined ? undefined : await this.store.get(this.#key(id));
    return this.#sessionFrom(cookieValue, id, record);
  }

  /**
   * `load` without a promise, for stores that can read synchronously (`getSync`);
   * undefined when the store cannot, and the adapter then calls `load`.
   */
  loadSync(cookieHeader: string | undefined): Session<T> | undefined {
    const store = this.store;
    if (!store.getSync) return undefined;
    const cookieValue = readCookie(cookieHeader, this.cookieName);
    const id = this.#ids.decode(cookieValue);
    return this.#sessionFrom(cookieValue, id, id === undefined ? undefined : store.getSync(this.#key(id)));
  }

  #sessionFrom(cookieValue: string | undefined, id: string | undefined, record: StoreRecord | undefined): Session<T> {
    const payload = record && !isExpired(record) ? this.#decodeRecord(record) : undefined;
    if (id === undefined || !record || !payload) return this.#session(freshState(this.options, cookieValue !== undefined), undefined);
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
    const state = stateOf(session);
    const now = Date.now();
    const empty = isEmpty(session);
    let bytes: Uint8Array | undefined;
    let action: Action;
    if (empty) {
      action = state.isNew ? 'none' : 'delete';
    } else {
      const payload: Payload = { p: state.permanent, d: session as Record<string, unknown> };
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
    const setCookie = this.#cookieFor(state, action, empty, retiresSome, now, context);
    const setCookies = setCookie === undefined ? [] : [setCookie];
    if (action === 'none' && !retiresSome) {
      return setCookie === undefined ? NOTHING_TO_COMMIT : { setCookies, needsPersist: false, persist: NOTHING_TO_PERSIST };
    }
    return { setCookies, needsPersist: true, persist: () => this.#persist(session, state, action, bytes, now) };
  }

  /** Gives a session a new id; its old record is deleted on commit. */
  regenerate(session: SessionObject): void {
    const state = session[STATE];
    if (!state.isNew) state.retiredIds.push(state.id);
    Object.assign(state, freshState(this.options, state.cookieReceived), {
      permanent: state.permanent,
      retiredIds: state.retiredIds,
    });
  }

  #session(state: SessionState, data: Record<string, unknown> | undefined): Session<T> {
    return new SessionObject(this, state, data) as unknown as Session<T>;
  }


  #key(id: string): string {
    return this.options.keyPrefix + id;
  }


  #cookieFor(
    state: SessionState,
    action: Action,
    empty: boolean,
    retiredSome: boolean,
    now: number,
    context: RequestContext,
  ): string | undefined {
    const configured = this.options.cookie.secure;
    const secure = configured === 'auto' ? context.secure === true : configured;
    if (empty) {
      // A deleted, destroyed or never-valid session: make the browser forget the id.
      return action === 'delete' || retiredSome || state.cookieReceived ? this.#cookies.clear(secure) : undefined;
    }
    const sendsCookie = action === 'create' || action === 'update' || (action === 'touch' && state.permanent);
    if (!sendsCookie) return undefined;
    const lifetime = state.permanent ? this.options.lifetimeMs : undefined;
    return this.#cookies.set(this.#ids.encode(state.id), secure, now, lifetime);
  }

  async #persist(
    session: Session<T>,
    state: SessionState,
    action: Action,
    bytes: Uint8Array | undefined,
    now: number,
  ): Promise<void> {
    const store = this.store;
    // Taken only here: a commit whose persist() never runs (the cookie decision made
    // when a streamed response sent its headers) leaves them for the final commit.
    const retired = state.retiredIds.splice(0);
    await Promise.all(retired.map((id) => store.delete(this.#key(id))));
    const key = this.#key(state.id);
    const expiresAt = now + this.options.lifetimeMs;
    switch (action) {
      case 'delete':
        await store.delete(key);
        state.isNew = true;
        break;
      case 'touch':
        await this.#touch(key, state, bytes!, expiresAt);
        break;
      case 'create':
        await this.#create(key, { data: bytes!, expiresAt });
        this.#saved(state, bytes!, undefined, expiresAt);
        break;
      case 'update':
        await this.#update(session, key, state, bytes!, expiresAt);
        break;
      case 'none':
        break;
    }
  }

  async #create(key: string, record: StoreRecord): Promise<void> {
    const store = this.store;
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

  async #touch(key: string, state: SessionState, bytes: Uint8Array, expiresAt: number): Promise<void> {
    const store = this.store;
    if (store.touch) await store.touch(key, expiresAt);
    // Without touch, rewrite the same bytes, but never over a newer concurrent write.
    else if (store.setIf && state.version) await store.setIf(key, { data: bytes, expiresAt }, state.version);
    else await store.set(key, { data: bytes, expiresAt });
    state.expiresAt = expiresAt;
  }

  async #update(session: Session<T>, key: string, state: SessionState, bytes: Uint8Array, expiresAt: number) {
    const store = this.store;
    if (!store.setIf || state.version === undefined) {
      this.#saved(state, bytes, await store.set(key, { data: bytes, expiresAt }), expiresAt);
      return;
    }
    if (await store.setIf(key, { data: bytes, expiresAt }, state.version)) {
      this.#saved(state, bytes, undefined, expiresAt);
      return;
    }
    await this.#mergeAfterConflict(session, key, state, expiresAt);
  }

  /**
   * Another request wrote this session since we read it. Re-read it, re-apply only the
   * top-level keys this request set or deleted, and compare-and-set again. A key only
   * the other request changed keeps its value; a record that vanished (destroyed or
   * regenerated elsewhere) is never brought back. Two requests that change the same key:
   * the last writer wins.
   */
  async #mergeAfterConflict(session: Session<T>, key: string, state: SessionState, expiresAt: number) {
    const store = this.store;
    const original = this.#decodeRecord({ data: state.loadedBytes!, expiresAt: Number.POSITIVE_INFINITY })!;
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
      const latestPayload = latest && this.#decodeRecord(latest);
      if (!latest || !latestPayload) return; // gone: destroyed or regenerated by another request
      const merged: Record<string, unknown> = {};
      assignData(merged, latestPayload.d);
      for (const field of changed) assignData(merged, { [field]: current[field] });
      for (const field of removed) delete merged[field];
      const payload = { p: permanentChanged ? state.permanent : latestPayload.p, d: merged };
      const bytes = this.#encode(payload);
      if (await store.setIf!(key, { data: bytes, expiresAt }, latest.version!)) {
        this.#saved(state, bytes, undefined, expiresAt);
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

  #saved(state: SessionState, bytes: Uint8Array, version: string | undefined, expiresAt: number): void {
    state.isNew = false;
    state.loadedBytes = bytes;
    state.version = version;
    state.expiresAt = expiresAt;
  }

  #encode(value: unknown): Uint8Array {
    return this.options.codec.encode(value);
  }

  /** The payload of a record, or undefined (with one warning) when it cannot be read. */
  #decodeRecord(record: StoreRecord): Payload | undefined {
    try {
      const payload = this.options.codec.decode(record.data) as Payload;
      if (isPayload(payload)) return payload;
      throw new Error('not a sessionkit payload');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.logger.warn(
        `store "${this.store.name}" returned a session record that the ${this.options.codec.name} serializer cannot read ` +
          `(${reason}); starting a fresh session. A changed serializer or a corrupt record causes this.`,
      );
      return undefined;
    }
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function stateOf(session: object): SessionState {
  const state = (session as Partial<SessionObject>)[STATE];
  if (!state) throw new TypeError('sessionkit: commit() needs a session returned by load() of the same engine.');
  return state;
}

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
