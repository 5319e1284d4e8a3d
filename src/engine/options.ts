import { resolveCsrf, type CsrfOptions, type CsrfPolicy } from '../forms/csrf.js';
import type { Codec } from '../codec/codec.js';
import { jsonCodec } from '../codec/json.js';
import { cookieAttributeProblem, cookiePrefixProblem } from './cookie/cookie-attributes.js';
import { msgpackCodec } from '../codec/msgpack/index.js';
import { isLifetimeMs, MAX_LIFETIME_MS, parseDuration } from '../core/duration.js';
import { describeValue, SessionConfigError } from '../core/errors.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import { isSessionMigration, type SessionMigration } from '../core/migration.js';
import type { Store } from '../core/store.js';
import { createStoreByType, type StoreType, type StoreTypeOptions } from '../config/store-registry.js';
import { isCarrierSource, type CarrierSource } from '../core/carrier.js';
import { resolveLockOption, type LockOption, type LockSettings } from '../lock/session-lock.js';
import type { SessionEventListeners } from '../core/events.js';
import { resolveEventListeners } from '../events/listeners.js';
import { resolveBind, type BindOption, type ResolvedBind } from '../events/client-binding.js';
import { withEncryption, type EncryptOption } from '../encryption/encrypt-option.js';
import { translateExpressSessionOptions, type ExpressSessionCookieOptions, type ExpressSessionOptions } from './express-session-options.js';

export type { Logger };

import type { SameSite } from '../core/session.js';
import { DEFAULT_MAX_SESSION_BYTES } from '../core/limits.js';
import type { ResolvedRevocations } from '../accounts/account-state.js';
import { resolveSessionLimit } from './session-limit-options.js';
import type { OnLimit, SessionLimitOption } from '../accounts/session-limit.js';
import { resolveSchema } from '../schema/schema-options.js';
import type { OnInvalidSession, SchemaSettings } from '../schema/session-schema.js';
import type { StandardSchema } from '../schema/standard-schema.js';

export type { SameSite };

export interface CookieOptions extends ExpressSessionCookieOptions {
  /**
   * Cookie name (SESSION_COOKIE_NAME).
   * @default 'session'
   */
  name?: string;
  /**
   * SESSION_COOKIE_DOMAIN. Without one, the cookie is sent to the exact host only.
   * @default none (host-only)
   */
  domain?: string;
  /**
   * SESSION_COOKIE_PATH.
   * @default '/'
   */
  path?: string;
  /**
   * SESSION_COOKIE_HTTPONLY. When true, page scripts cannot read the cookie.
   * @default true
   */
  httpOnly?: boolean;
  /**
   * SESSION_COOKIE_SECURE. Off by default, so that the demo works on http://localhost.
   * 'auto' marks the cookie Secure when the request came over HTTPS, as the framework
   * reports it (Express: `req.secure`, which honours `trust proxy`).
   * @default false
   */
  secure?: boolean | 'auto';
  /**
   * SESSION_COOKIE_SAMESITE. 'none' requires `secure`.
   * @default 'lax'
   */
  sameSite?: SameSite | 'Lax' | 'Strict' | 'None';
  /**
   * CHIPS partitioned cookie attribute (SESSION_COOKIE_PARTITIONED).
   * @default false
   */
  partitioned?: boolean;
}

/** sessionkit's options; express-session's are accepted beside them (see ExpressSessionOptions). */
export interface SessionOptions extends ExpressSessionOptions {
  /**
   * A store instance (SESSION_TYPE as an object), or `cookieStore()` to keep the whole
   * session in a sealed cookie.
   * @default none: the `'null'` store of `type`
   */
  store?: Store | CarrierSource;
  /**
   * A built-in store by name (SESSION_TYPE); its options go in `storeOptions`. The store is loaded when the engine is created; `engine.ready` settles then.
   * @default 'null'
   */
  type?: StoreType;
  /**
   * Options for the store chosen by `type`.
   * @default none
   */
  storeOptions?: StoreTypeOptions;
  /**
   * SESSION_PERMANENT. When true, cookies live as long as the session; when false, they end with the browser session.
   * @default true
   */
  permanent?: boolean;
  /**
   * SESSION_USE_SIGNER + SECRET_KEY: signs the id in the cookie with HMAC-SHA256.
   * An array rotates keys: the first signs, all verify.
   * @default none: ids are not signed
   */
  secret?: string | readonly string[];
  /**
   * SESSION_KEY_PREFIX, prepended to the id to form the store key.
   * @default 'session:'
   */
  keyPrefix?: string;
  /**
   * SESSION_ID_LENGTH: bytes of randomness in an id, from 16 to 256.
   * @default 32
   */
  idLength?: number;
  /**
   * The session cookie's name and attributes (the SESSION_COOKIE_* keys); each has its own default.
   * @default { name: 'session', path: '/', httpOnly: true, secure: false, sameSite: 'lax' }
   */
  cookie?: CookieOptions;
  /**
   * PERMANENT_SESSION_LIFETIME: seconds or '31d'-style.
   * @default 2678400 (31 days)
   */
  lifetime?: number | string;
  /**
   * SESSION_ABSOLUTE_LIFETIME: how long after it was created a session ends, however
   * active it is (OWASP's absolute timeout; `lifetime` with `refreshEachRequest` is the idle
   * one). Seconds or '8h'-style. Logging in (`regenerate()`) does not restart the clock.
   * @default none
   */
  absoluteLifetime?: number | string;
  /**
   * SESSION_REFRESH_EACH_REQUEST: extend the expiry of sessions in use.
   * @default true
   */
  refreshEachRequest?: boolean;
  /**
   * Throttle for refreshEachRequest: an unmodified session's expiry is extended (one
   * cheap `touch`, plus a fresh cookie for permanent sessions) at most once per this
   * interval, so a busy user does not cause a store write on every request.
   * Seconds or '1m'-style; 0 refreshes on every request as Flask does.
   * @default 60 (seconds)
   */
  touchAfter?: number | string;
  /**
   * SESSION_SERIALIZATION_FORMAT: 'msgpack', 'json', or your own codec.
   * @default 'msgpack'
   */
  serializer?: 'msgpack' | 'json' | Codec;
  /**
   * How many times a write that lost a compare-and-set race is re-merged and retried
   * before the request fails. Writes of one session from one process take turns, so
   * only writes from other processes use these up.
   * @default 10
   */
  maxConflictRetries?: number;
  /**
   * The most bytes a session may take serialized, both ways: a larger session fails its
   * commit with an error naming this option (the application's bug, surfaced as a 500), and
   * a larger record read from the store (one planted by whoever can write it) is not decoded
   * but read as a fresh session, with one warning.
   * @default 1048576 (1 MiB)
   */
  maxSessionBytes?: number;
  /**
   * Where warnings go.
   * @default console, prefixed '[sessionkit]'
   */
  logger?: Logger;
  /**
   * Makes `import { session } from 'sessionkit'` work anywhere during a request, through
   * AsyncLocalStorage. Off by default: on Node 20 and 22 it slows every promise of the
   * application (see docs/performance.md).
   * @default false
   */
  requestContext?: boolean;
  /**
   * Takes over the live sessions of another library as their users come back (see
   * `expressSessionMigration()` in `sessionkit/connect`): nobody is logged out by the switch.
   * @default none
   */
  migrate?: SessionMigration;
  /**
   * The session field that names the user, e.g. 'user_id', or a dotted path such as
   * 'passport.user' (Passport). The engine then keeps an index from each user to their
   * sessions in the same store, which `listSessions`, `revokeSessions` ("log out other
   * devices") and `revokeSession` read. Its value must be a string or a number.
   * @default none
   */
  userField?: string;
  /**
   * Session fields `listSessions` reports per session (e.g. ['userAgent', 'ip']): what the application records at login.
   * @default []
   */
  listedFields?: readonly string[];
  /**
   * For sealed cookie sessions (`cookieStore()`) with `userField`: the store that keeps each
   * user's revocation time, so that `revokeSessions` works with nothing on the server per
   * session. `maxStale` bounds how long a server may still accept a revoked cookie (its
   * in-process cache of those times): seconds or '5s'-style, default 5 seconds, 0 reads the
   * store on every request of a signed-in user.
   * @default none
   */
  revocations?: { store: Store; maxStale?: number | string };
  /**
   * SESSION_MAX_PER_USER: how many sessions one user (`userField`) may have at once; a
   * login beyond it does what `onLimit` says. Sessions in a store, or sealed cookies with
   * `revocations`.
   * @default none (no limit)
   */
  maxSessionsPerUser?: number;
  /**
   * SESSION_ON_LIMIT: what a login beyond `maxSessionsPerUser` does. 'evict-oldest' ends the
   * user's least recently active session; 'refuse' fails the login's commit (and
   * `await req.session.save()`) with a SessionLimitError. Sessions in a store only.
   * @default 'evict-oldest'
   */
  onLimit?: OnLimit;
  /**
   * SESSION_LOCK: serialise the requests of one session, so that two requests that change
   * the same field one after the other both count (the default is last writer wins). A
   * request of a session waits for the one before it to end, at most `wait` (default 5 s,
   * then a SessionLockTimeoutError); a request that dies holds it at most `lease`
   * (default 10 s). `true` for the defaults.
   * @default false (off); `true` means `{ wait: '5s', lease: '10s' }`
   */
  lock?: LockOption;
  /**
   * SESSION_ENCRYPT: session records sealed at rest with AES-256-GCM, each bound to its key
   * (docs/security.md). `true` seals with the engine's `secret` (the first seals, all open);
   * `{ secret }` with secrets of its own; at least 32 characters each. Not for cookieStore(),
   * which is encrypted already.
   * @default false
   */
  encrypt?: EncryptOption;
  /**
   * SESSION_HASH_ID_IN_STORE: keep records under keyPrefix + a SHA-256 hash of the id, never
   * the id, so that nothing read from the store (keys, the user index, lock records) can be
   * sent back as a cookie. A record still under its raw id (written before) is moved on its
   * next request; `{ readRawKeys: false }` stops looking there once none are left.
   * @default false; `true` means `{ readRawKeys: true }`
   */
  hashIds?: boolean | { readRawKeys?: boolean };
  /**
   * Step-up freshness: sessions keep when their user last proved who they are
   * (`session.markAuthenticated()`; with `userField`, every login too), which `requireFresh`
   * compares with before a sensitive action. Kept across `regenerate()`, never moved by a refresh.
   * @default false
   */
  freshness?: boolean;
  /**
   * A Standard Schema validator (zod, valibot, arktype…) of the session's data: a stored
   * session is checked when loaded, and the adapters' factories type the session as the
   * schema's output. Not a Flask-style key: a schema is code. See docs/schema.md.
   * @default none
   */
  schema?: StandardSchema<object>;
  /**
   * With `schema`, what a stored session that does not match becomes: 'fresh' (a fresh
   * session, one warning), 'error' (an InvalidSessionError to the framework's error
   * handling), or a function that upgrades the old data (its result is checked again).
   * @default 'fresh'
   */
  onInvalid?: OnInvalidSession;
  /**
   * With `schema`, also check a session's data before it is written; a session that does
   * not match is not written and the commit fails with an InvalidSessionError.
   * @default false
   */
  validateWrites?: boolean;
  /**
   * Listeners of the sessions' lifecycle events, by name (`created`, `missed`, `storeError`…:
   * docs/observability.md); `on(name, listener)` adds more later. None by default.
   */
  events?: SessionEventListeners;
  /**
   * With `userField`: a session remembers (as hashes) the address and/or user agent its
   * user signed in from, and a later request from elsewhere emits a `suspicious` event.
   * A signal only: nobody is logged out by it. Off by default.
   */
  bind?: BindOption;
  /**
   * SESSION_CSRF: refuse (403, `CsrfError`) every request but GET, HEAD, OPTIONS and TRACE
   * that does not send the session's `csrfToken()` in the `x-csrf-token` header or the
   * `_csrf` form field (parsed by a body parser mounted before the session middleware).
   * @default false
   */
  csrf?: boolean | CsrfOptions;
}

export interface ResolvedCookieOptions {
  name: string;
  domain: string | undefined;
  path: string;
  httpOnly: boolean;
  secure: boolean | 'auto';
  sameSite: SameSite;
  partitioned: boolean;
}

/** Where revocations of sealed cookie sessions are kept, and how stale a server's view of them may be. */
export interface ResolvedOptions {
  /** A store, the carrier source of sealed cookies, or a store chosen by name, still loading. */
  store: Store | CarrierSource | Promise<Store>;
  permanent: boolean;
  secrets: string[];
  keyPrefix: string;
  idLength: number;
  cookie: ResolvedCookieOptions;
  lifetimeMs: number;
  absoluteLifetimeMs: number | undefined;
  refreshEachRequest: boolean;
  touchAfterMs: number;
  codec: Codec;
  maxConflictRetries: number;
  maxSessionBytes: number;
  logger: Logger;
  requestContext: boolean;
  migrate: SessionMigration | undefined;
  /** `userField` split at dots; undefined without one. */
  userField: readonly string[] | undefined;
  listedFields: readonly string[];
  revocations: ResolvedRevocations | undefined;
  /** `maxSessionsPerUser` and `onLimit`; undefined without a limit. */
  sessionLimit: SessionLimitOption | undefined;
  lock: LockSettings | undefined;
  hashIds: HashIdsSettings | undefined;
  freshness: boolean;
  schema: SchemaSettings | undefined;
  events: SessionEventListeners | undefined;
  bind: ResolvedBind | undefined;
  csrf: CsrfPolicy | undefined;
}

/** `hashIds` resolved: whether a miss under the hashed key looks under the raw one (engine/hashed-id-carrier.ts). */
export interface HashIdsSettings {
  readonly readRawKeys: boolean;
}

const DAY_SECONDS = 86_400;
const MIN_SECRET_LENGTH = 16;
const KNOWN_OPTIONS = new Set([
  'store', 'type', 'storeOptions', 'permanent', 'secret', 'keyPrefix', 'idLength', 'cookie', 'lifetime', 'absoluteLifetime',
  'refreshEachRequest', 'touchAfter', 'serializer', 'maxConflictRetries', 'maxSessionBytes', 'logger', 'requestContext', 'migrate',
  'userField', 'listedFields', 'revocations', 'lock', 'maxSessionsPerUser', 'onLimit', 'encrypt', 'hashIds', 'freshness', 'events', 'bind',
  'schema', 'onInvalid', 'validateWrites',
  'csrf',
]);
const KNOWN_COOKIE_OPTIONS = new Set(['name', 'domain', 'path', 'httpOnly', 'secure', 'sameSite', 'partitioned']);

/** Applies defaults and rejects every setting that cannot work, saying what to change. */
export function resolveOptions(given: SessionOptions = {}): ResolvedOptions {
  const logger = given.logger ?? consoleLogger;
  const options = translateExpressSessionOptions(given, logger);
  rejectUnknown(options, KNOWN_OPTIONS, 'option');
  rejectUnknown(options.cookie ?? {}, KNOWN_COOKIE_OPTIONS, 'cookie option');
  const secrets = resolveSecrets(options.secret);
  return {
    // With `encrypt`, the store wrapped in one that seals its records (../encryption/).
    store: withEncryption(resolveStore(options, logger), options.encrypt, secrets, logger),
    permanent: options.permanent ?? true,
    secrets,
    keyPrefix: options.keyPrefix ?? 'session:',
    idLength: resolveIdLength(options.idLength),
    cookie: resolveCookie(options.cookie ?? {}),
    lifetimeMs: resolveLifetime(options.lifetime),
    absoluteLifetimeMs: options.absoluteLifetime === undefined ? undefined : resolveLifetime(options.absoluteLifetime, 'absoluteLifetime'),
    refreshEachRequest: options.refreshEachRequest ?? true,
    touchAfterMs: parseDuration(options.touchAfter ?? 60, 'touchAfter'),
    codec: resolveCodec(options.serializer),
    maxConflictRetries: resolveRetries(options.maxConflictRetries),
    maxSessionBytes: resolveMaxSessionBytes(options.maxSessionBytes),
    logger,
    requestContext: options.requestContext ?? false,
    migrate: resolveMigration(options.migrate, options.cookie?.name ?? 'session'),
    userField: resolveUserField(options.userField),
    listedFields: resolveListedFields(options.listedFields, options.userField),
    revocations: resolveRevocations(options),
    sessionLimit: resolveSessionLimit(options),
    lock: resolveLock(options),
    hashIds: resolveHashIds(options),
    freshness: resolveFreshness(options.freshness),
    schema: resolveSchema(options, logger),
    events: resolveEventListeners(options.events),
    bind: resolveBind(options.bind, options.userField),
    csrf: resolveCsrf(options.csrf),
  };
}

function resolveHashIds(options: SessionOptions): HashIdsSettings | undefined {
  const value = options.hashIds;
  if (value === undefined || value === false) return undefined;
  const given = value === true ? {} : value;
  if (typeof given !== 'object' || given === null || Array.isArray(given) || Object.keys(given).some((key) => key !== 'readRawKeys')) {
    throw new SessionConfigError(`hashIds must be true, false or { readRawKeys: boolean }, got ${describeValue(value)}.`);
  }
  if (given.readRawKeys !== undefined && typeof given.readRawKeys !== 'boolean') {
    throw new SessionConfigError(`hashIds.readRawKeys must be true or false, got ${describeValue(given.readRawKeys)}.`);
  }
  if (isCarrierSource(options.store)) {
    throw new SessionConfigError('"hashIds" names records in a store by a hash of their id; a sealed cookie session has no record and no key to hash. Remove "hashIds".');
  }
  return { readRawKeys: given.readRawKeys ?? true };
}

function resolveFreshness(freshness: unknown): boolean {
  if (freshness === undefined || typeof freshness === 'boolean') return freshness === true;
  throw new SessionConfigError(`freshness must be true or false, got ${describeValue(freshness)}.`);
}

function resolveLock(options: SessionOptions): LockSettings | undefined {
  const lock = resolveLockOption(options.lock);
  if (lock && isCarrierSource(options.store)) {
    throw new SessionConfigError('"lock" needs sessions kept in a store: a sealed cookie session is written by its response, with nothing to lock. Remove "lock".');
  }
  return lock;
}

function resolveRevocations(options: SessionOptions): ResolvedRevocations | undefined {
  const revocations = options.revocations;
  if (revocations === undefined) return undefined;
  if (!isCarrierSource(options.store)) {
    throw new SessionConfigError(
      '"revocations" is for sealed cookie sessions (store: cookieStore()); sessions in a store are revoked through userField alone. Remove "revocations".',
    );
  }
  if (options.userField === undefined) throw new SessionConfigError('"revocations" needs userField: name the session field that identifies the user.');
  if (typeof revocations !== 'object' || typeof (revocations.store as Partial<Store> | undefined)?.get !== 'function') {
    throw new SessionConfigError('"revocations.store" must be a session store (such as redisStore() or sqliteStore()) to keep revocation times in.');
  }
  if (!revocations.store.create || !revocations.store.setIf) {
    // Every revocation, and every logout of a signed-in session, is a compare-and-set of its user's record.
    throw new SessionConfigError(
      `"revocations.store" needs insert-if-absent (create) and compare-and-set (setIf); the ${revocations.store.name} store lacks them. ` +
        'Use a store that has them (every sessionkit store but null and workers-kv; on Workers: d1 or durable-object).',
    );
  }
  return { store: revocations.store, maxStaleMs: parseDuration(revocations.maxStale ?? 5, 'revocations.maxStale') };
}

function resolveUserField(userField: unknown): string[] | undefined {
  if (userField === undefined) return undefined;
  const parts = typeof userField === 'string' ? userField.split('.') : [];
  if (parts.length === 0 || parts.some((part) => part === '')) {
    throw new SessionConfigError(`userField must name a session field, such as 'user_id' or 'passport.user', got ${describeValue(userField)}.`);
  }
  return parts;
}

function resolveListedFields(listedFields: unknown, userField: unknown): string[] {
  if (listedFields === undefined) return [];
  if (!Array.isArray(listedFields) || !listedFields.every((field) => typeof field === 'string' && field !== '')) {
    throw new SessionConfigError(`listedFields must be an array of session field names, got ${describeValue(listedFields)}.`);
  }
  if (userField === undefined) throw new SessionConfigError('listedFields is set without userField: sessions are listed per user. Set userField too.');
  return listedFields as string[];
}

function rejectUnknown(object: object, known: Set<string>, what: string): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) {
      throw new SessionConfigError(`unknown ${what} "${key}". Known: ${[...known].join(', ')}.`);
    }
  }
}

function resolveStore(options: SessionOptions, logger: Logger): ResolvedOptions['store'] {
  if (options.store && options.type) {
    throw new SessionConfigError(
      `both "store" and "type: '${options.type}'" are set. Pass a store instance or a type name, not both.`,
    );
  }
  if (options.store) {
    if (!isCarrierSource(options.store) && typeof options.store.get !== 'function') {
      throw new SessionConfigError('"store" is neither a session store (get, set, delete) nor cookieStore(). Pass a store instance.');
    }
    return options.store;
  }
  if (options.storeOptions && !options.type) {
    throw new SessionConfigError('"storeOptions" is set without "type". Name the store type the options are for.');
  }
  return createStoreByType(options.type ?? 'null', options.storeOptions, logger);
}

function resolveMigration(migrate: SessionOptions['migrate'], cookieName: string): SessionMigration | undefined {
  if (migrate === undefined) return undefined;
  if (!isSessionMigration(migrate)) {
    throw new SessionConfigError('"migrate" must be a session migration, such as expressSessionMigration({ secret, store }) from sessionkit/connect.');
  }
  if (migrate.cookieName === cookieName) {
    throw new SessionConfigError(
      `"migrate" reads the cookie '${cookieName}', which is sessionkit's own cookie name too. Give sessionkit another cookie.name.`,
    );
  }
  return migrate;
}

function resolveSecrets(secret: SessionOptions['secret']): string[] {
  if (secret === undefined) return [];
  const secrets = typeof secret === 'string' ? [secret] : [...secret];
  if (secrets.length === 0) {
    throw new SessionConfigError('"secret" is an empty array. Give at least one secret, or leave it out to not sign.');
  }
  for (const value of secrets) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) {
      throw new SessionConfigError(
        `every secret must be a string of at least ${MIN_SECRET_LENGTH} characters; use a long random value, ` +
          `e.g. node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"`,
      );
    }
  }
  return secrets;
}

function resolveIdLength(idLength: number | undefined): number {
  const value = idLength ?? 32;
  if (!Number.isInteger(value) || value < 16 || value > 256) {
    throw new SessionConfigError(`idLength must be an integer number of bytes from 16 to 256, got ${String(idLength)}.`);
  }
  return value;
}

function resolveLifetime(lifetime: SessionOptions['lifetime'], name = 'lifetime'): number {
  const ms = parseDuration(lifetime ?? 31 * DAY_SECONDS, name);
  if (!isLifetimeMs(ms)) {
    throw new SessionConfigError(`${name} must be at least one second and at most ${MAX_LIFETIME_MS / 1000 / DAY_SECONDS} days, got ${String(lifetime)}.`);
  }
  return ms;
}

function resolveRetries(retries: number | undefined): number {
  const value = retries ?? 10;
  if (!Number.isInteger(value) || value < 0) {
    throw new SessionConfigError(`maxConflictRetries must be a non-negative integer, got ${String(retries)}.`);
  }
  return value;
}

function resolveMaxSessionBytes(maxSessionBytes: number | undefined): number {
  const value = maxSessionBytes ?? DEFAULT_MAX_SESSION_BYTES;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SessionConfigError(`maxSessionBytes must be a positive integer number of bytes, got ${describeValue(maxSessionBytes)}.`);
  }
  return value;
}

function resolveCodec(serializer: SessionOptions['serializer']): Codec {
  if (serializer === undefined || serializer === 'msgpack') return msgpackCodec;
  if (serializer === 'json') return jsonCodec;
  if (typeof serializer === 'object' && typeof serializer.encode === 'function') return serializer;
  throw new SessionConfigError(`serializer must be 'msgpack', 'json' or a codec object, got ${describeValue(serializer)}.`);
}

function resolveSameSite(value: CookieOptions['sameSite']): SameSite {
  if (value === undefined) return 'lax';
  if (value === false) return false;
  const lower = String(value).toLowerCase();
  if (lower === 'lax' || lower === 'strict' || lower === 'none') return lower;
  throw new SessionConfigError(`cookie.sameSite must be 'lax', 'strict', 'none' or false, got ${String(value)}.`);
}

function resolveCookie(cookie: CookieOptions): ResolvedCookieOptions {
  const resolved: ResolvedCookieOptions = {
    name: cookie.name ?? 'session',
    domain: cookie.domain || undefined,
    path: cookie.path ?? '/',
    httpOnly: cookie.httpOnly ?? true,
    secure: cookie.secure ?? false,
    sameSite: resolveSameSite(cookie.sameSite),
    partitioned: cookie.partitioned ?? false,
  };
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(resolved.name)) {
    throw new SessionConfigError(`cookie.name "${resolved.name}" is not a valid cookie name (RFC 6265 token).`);
  }
  if (!resolved.path.startsWith('/')) {
    throw new SessionConfigError(`cookie.path must start with '/', got "${resolved.path}".`);
  }
  const attributeProblem = cookieAttributeProblem(resolved.domain, resolved.path);
  if (attributeProblem !== undefined) {
    throw new SessionConfigError(`cookie.domain or cookie.path cannot be sent in a Set-Cookie header (${attributeProblem}). Give a host name and a path without ';' or controls.`);
  }
  if (resolved.sameSite === 'none' && resolved.secure === false) {
    throw new SessionConfigError(
      "cookie.sameSite 'none' needs cookie.secure: browsers drop SameSite=None cookies without Secure. " +
        "Set cookie.secure to true (or 'auto'), or use sameSite 'lax'.",
    );
  }
  if (resolved.partitioned && resolved.secure === false) {
    throw new SessionConfigError('cookie.partitioned needs cookie.secure: set it to true or \'auto\'.');
  }
  const prefixProblem = cookiePrefixProblem(resolved.name, resolved);
  if (prefixProblem !== undefined) throw new SessionConfigError(prefixProblem);
  return resolved;
}

