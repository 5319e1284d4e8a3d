import { CookieWriter, readCookie } from './cookie-header.js';
import { equalBytes, isEmpty, isPayload, type PendingCommit, type RequestContext, type SessionManager } from './engine.js';
import { SessionConfigError } from './errors.js';
import { generateId } from './ids.js';
import { enableRequestContext } from './request-context.js';
import { resolveOptions, type Logger, type ResolvedOptions, type SessionOptions } from './options.js';
import { seal, unseal, type SealKeys } from '../stores/cookie/seal.js';
import { freshState, isRefreshDue, SessionObject, STATE, type Session, type SessionData, type SessionState } from './session.js';
import { StoreError } from './store.js';
import { CookieStore } from '../stores/cookie/index.js';
import { NullStore } from '../stores/null.js';

/** A sealed payload also carries the session's id, so that `session.id` is stable. */
interface SealedPayload {
  p: boolean;
  d: Record<string, unknown>;
  i: string;
}

const NOTHING_TO_PERSIST = async () => {};

/**
 * Sessions that live entirely in their cookie (see ./stores/cookie.ts). The same rules as
 * the server-side engine where they apply: nothing is sent for an untouched session, the
 * expiry is refreshed at most once per `touchAfter`, nested changes are detected by
 * comparing the serialized session, an emptied session clears its cookie.
 */
export class SealedCookieEngine<T extends object = SessionData> implements SessionManager<T> {
  readonly options: ResolvedOptions;
  readonly cookieStore: CookieStore;
  readonly #keys: SealKeys;
  readonly #cookies: CookieWriter;

  constructor(options: SessionOptions) {
    if (!(options.store instanceof CookieStore)) throw new SessionConfigError('SealedCookieEngine needs `store: cookieStore(…)`.');
    // The sealed engine needs no server store; a null store satisfies the shared option checks.
    this.options = resolveOptions({ ...options, store: new NullStore() });
    this.cookieStore = options.store;
    this.#keys = options.store.keys(this.options.secrets);
    this.#cookies = new CookieWriter(this.options.cookie);
    if (this.options.requestContext) enableRequestContext();
  }

  get logger(): Logger {
    return this.options.logger;
  }

  async load(cookieHeader: string | undefined): Promise<Session<T>> {
    return this.loadSync(cookieHeader);
  }

  /** Opening a seal is local work: always synchronous. */
  loadSync(cookieHeader: string | undefined): Session<T> {
    const value = readCookie(cookieHeader, this.options.cookie.name);
    const opened = value === undefined ? undefined : unseal(this.#keys, value);
    const payload = opened && this.#decode(opened.plaintext);
    if (!opened || !payload) return this.#session(freshState(this.options, value !== undefined), undefined);
    return this.#session(
      {
        id: payload.i,
        isNew: false,
        loadedBytes: opened.plaintext,
        version: undefined,
        expiresAt: opened.expiresAt,
        permanent: payload.p,
        retiredIds: [],
        cookieReceived: true,
      },
      payload.d,
    );
  }

  commit(session: Session<T>, context: RequestContext = {}): PendingCommit {
    const state = (session as unknown as SessionObject)[STATE];
    const now = Date.now();
    const configured = this.options.cookie.secure;
    const secure = configured === 'auto' ? context.secure === true : configured;
    if (isEmpty(session)) {
      const clear = !state.isNew || state.cookieReceived || state.retiredIds.length > 0;
      return { setCookies: clear ? [this.#cookies.clear(secure)] : [], needsPersist: false, persist: NOTHING_TO_PERSIST };
    }
    const bytes = this.options.codec.encode({ p: state.permanent, d: session, i: state.id } satisfies SealedPayload);
    const changed = state.isNew || !equalBytes(bytes, state.loadedBytes);
    if (!changed && !isRefreshDue(this.options, state, now)) return { setCookies: [], needsPersist: false, persist: NOTHING_TO_PERSIST };

    const expiresAt = now + this.options.lifetimeMs;
    const lifetime = state.permanent ? this.options.lifetimeMs : undefined;
    const cookie = this.#cookies.set(seal(this.#keys, bytes, expiresAt), secure, now, lifetime);
    if (Buffer.byteLength(cookie) > this.cookieStore.maxCookieBytes) {
      // Browsers drop an oversized cookie without a word: refuse it loudly instead.
      const error = new StoreError(
        'cookie',
        `the session is ${bytes.length} bytes serialized and its Set-Cookie header would be ${Buffer.byteLength(cookie)} bytes, ` +
          `over the ${this.cookieStore.maxCookieBytes}-byte cookie limit. Keep large data in a server-side store.`,
      );
      return { setCookies: [], needsPersist: true, persist: () => Promise.reject(error) };
    }
    Object.assign(state, { isNew: false, loadedBytes: bytes, expiresAt, retiredIds: [] });
    return { setCookies: [cookie], needsPersist: false, persist: NOTHING_TO_PERSIST };
  }

  /**
   * A new id; the old cookie is replaced by the next commit (it cannot be revoked). A
   * session never sent retires nothing: regenerating an empty one sends no Set-Cookie.
   */
  regenerate(session: SessionObject): void {
    const state = session[STATE];
    if (!state.isNew) state.retiredIds.push(state.id);
    state.id = generateId(this.options.idLength);
    state.isNew = true;
  }



  #session(state: SessionState, data: Record<string, unknown> | undefined): Session<T> {
    return new SessionObject(this, state, data) as unknown as Session<T>;
  }

  #decode(bytes: Uint8Array): SealedPayload | undefined {
    try {
      const payload = this.options.codec.decode(bytes) as SealedPayload;
      if (isPayload(payload) && typeof payload.i === 'string') return payload;
    } catch {
      // fall through: a seal we made always decodes, so this is an old format or serializer
    }
    this.options.logger.warn(`a sealed session cookie opened but the ${this.options.codec.name} serializer cannot read it; starting a fresh session.`);
    return undefined;
  }
}
