import { describeValue, SessionConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * express-session's own options, accepted so that an application moving over can keep its
 * `session({ … })` call as it was: each is translated to sessionkit's counterpart, noted
 * once where it means nothing here, or refused with the reason (the table of
 * docs/express-session.md says which).
 */
export interface ExpressSessionOptions {
  /**
   * express-session's cookie name: taken as `cookie.name`.
   * @default 'session' (sessionkit's cookie name; express-session's was 'connect.sid')
   */
  name?: string;
  /** Means nothing here (noted once): a session is written only when it changed. */
  resave?: boolean;
  /** Means nothing here (noted once): an empty new session is never stored and sets no cookie. */
  saveUninitialized?: boolean;
  /**
   * `true`: the expiry is refreshed on every request (`touchAfter: 0`). `false`: sessionkit's throttled refresh (noted once).
   * @default sessionkit's throttled refresh (at most once per `touchAfter`)
   */
  rolling?: boolean;
  /**
   * `'keep'` is what sessionkit does when `req.session` is deleted; `'destroy'` is refused: call `req.session.destroy()`.
   * @default 'keep'
   */
  unset?: 'destroy' | 'keep';
  /** Noted once: `cookie.secure: 'auto'` follows the framework's view of the request (Express: `trust proxy`). */
  proxy?: boolean;
  /** Refused at start-up: ids are always random, so that no id can be guessed or chosen. */
  genid?: (req: never) => string;
}

/** express-session's cookie options beyond sessionkit's own. */
export interface ExpressSessionCookieOptions {
  /**
   * Milliseconds, as express-session counts: taken as `lifetime` (seconds); `null` is a browser-session cookie (`permanent: false`).
   * @default `lifetime`'s 31 days
   */
  maxAge?: number | null;
}

type Translatable = ExpressSessionOptions & {
  cookie?: ExpressSessionCookieOptions & Record<string, unknown>;
  lifetime?: unknown;
  permanent?: unknown;
  touchAfter?: unknown;
  refreshEachRequest?: unknown;
};

const NOTES: Record<'resave' | 'saveUninitialized' | 'proxy' | 'rolling', string> = {
  resave: 'express-session\'s "resave" means nothing here: a session is written only when its data changed.',
  saveUninitialized: 'express-session\'s "saveUninitialized" means nothing here: an empty new session is never stored and sets no cookie.',
  proxy:
    'express-session\'s "proxy" means nothing here: with cookie.secure \'auto\' the cookie is Secure when the framework says the request came over HTTPS (Express: req.secure, which follows app.set(\'trust proxy\', …)).',
  rolling:
    'express-session\'s "rolling: false": sessionkit refreshes a session in use at most once per touchAfter (60 s); set refreshEachRequest: false to let sessions end a lifetime after their last change.',
};

/** Notes already given, per logger: each is said once, however many engines share the logger. */
const noted = new WeakMap<Logger, Set<string>>();

function note(logger: Logger, key: keyof typeof NOTES): void {
  let given = noted.get(logger);
  if (!given) noted.set(logger, (given = new Set()));
  if (given.has(key)) return;
  given.add(key);
  logger.info(NOTES[key]);
}

/**
 * Options with express-session's translated into sessionkit's own. Returns the options
 * unchanged (the same object) when none of express-session's is present, which is the
 * common case and costs one pass over the keys at start-up.
 */
export function translateExpressSessionOptions<T extends object>(options: T, logger: Logger): T {
  const given = options as T & Translatable & { store?: unknown };
  if (isExpressSessionStore(given.store)) {
    throw new SessionConfigError(
      '"store" is an express-session store: wrap it, store: fromConnectStore(theStore) (from sessionkit/connect), or use a sessionkit store.',
    );
  }
  const cookie = given.cookie;
  const hasExpressKeys = ['name', 'resave', 'saveUninitialized', 'rolling', 'unset', 'proxy', 'genid'].some((key) => Object.hasOwn(given, key));
  if (typeof cookie === 'object' && cookie !== null && Object.hasOwn(cookie, 'expires')) {
    throw new SessionConfigError(
      'cookie.expires (one fixed date for every session) has no counterpart: set lifetime (seconds or \'31d\'-style) for how long sessions live, or permanent: false for browser-session cookies.',
    );
  }
  const hasMaxAge = typeof cookie === 'object' && cookie !== null && Object.hasOwn(cookie, 'maxAge');
  if (!hasExpressKeys && !hasMaxAge) return options;

  const { name, resave, saveUninitialized, rolling, unset, proxy, genid, ...rest } = given;
  refuseUnoffered(genid, unset);
  if (resave !== undefined) note(logger, 'resave');
  if (saveUninitialized !== undefined) note(logger, 'saveUninitialized');
  if (proxy !== undefined) note(logger, 'proxy');
  const translated: Translatable = rest;
  translateRolling(translated, rolling, logger);
  if (name !== undefined) {
    if (cookie?.name !== undefined && cookie.name !== name) {
      throw new SessionConfigError(`"name" ('${describeValue(name)}') and cookie.name ('${describeValue(cookie.name)}') disagree: both name the session cookie. Keep one.`);
    }
    translated.cookie = { ...cookie, name };
  }
  if (hasMaxAge) translateMaxAge(translated);
  return translated as T;
}

/** express-session's options that have no counterpart here, refused with the reason. */
function refuseUnoffered(genid: unknown, unset: Translatable['unset']): void {
  if (genid !== undefined) {
    throw new SessionConfigError(
      '"genid" is not offered: session ids are always random (idLength bytes from the system\'s secure random source), so that no id can be guessed or chosen. Remove "genid".',
    );
  }
  if (unset !== undefined && unset !== 'keep') {
    throw new SessionConfigError(
      `express-session's "unset: '${String(unset)}'" has no counterpart: call req.session.destroy() to end a session (deleting req.session leaves it as it is, which is unset: 'keep'). Remove "unset".`,
    );
  }
}

/** express-session's `rolling: true`: a refresh on every request (anything else is what sessionkit does anyway, noted). */
function translateRolling(translated: Translatable, rolling: unknown, logger: Logger): void {
  if (rolling !== true) {
    if (rolling !== undefined) note(logger, 'rolling');
    return;
  }
  if (translated.touchAfter !== undefined || translated.refreshEachRequest === false) {
    throw new SessionConfigError('"rolling: true" refreshes the session on every request, which contradicts the touchAfter or refreshEachRequest also set. Keep one of them.');
  }
  translated.refreshEachRequest = true;
  translated.touchAfter = 0;
}

/** Whether `value` is an express-session store: they inherit express-session's `createSession`, which sessionkit's stores lack. */
function isExpressSessionStore(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { createSession?: unknown }).createSession === 'function';
}

/** express-session's `cookie.maxAge` (ms) as `lifetime` (seconds), or a browser-session cookie for `null`. */
function translateMaxAge(options: Translatable): void {
  const { maxAge, ...cookie } = options.cookie!;
  options.cookie = cookie;
  if (maxAge === undefined) return;
  if (maxAge === null) {
    if (options.permanent === true) throw new SessionConfigError('cookie.maxAge null (a browser-session cookie) contradicts permanent: true. Keep one.');
    options.permanent = false;
    return;
  }
  if (options.lifetime !== undefined) {
    throw new SessionConfigError('cookie.maxAge (express-session\'s, in milliseconds) and lifetime both set how long a session lives. Keep lifetime (seconds or \'31d\'-style).');
  }
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 1000) {
    throw new SessionConfigError(`cookie.maxAge is express-session's lifetime in milliseconds and must be a number of at least 1000, got ${String(maxAge)}.`);
  }
  options.lifetime = maxAge / 1000;
}
