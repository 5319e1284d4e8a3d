import { SessionConfigError } from '../core/errors.js';
import { DEFAULT_MIGRATION_GRACE_MS, type SessionMigration } from '../core/migration.js';
import { DEFAULT_TIMEOUT_MS, storeCall, type CallScope } from '../stores/shared/call.js';
import { callbackToPromise, isNotFound, type ConnectSession, type ConnectStore } from './connect-store.js';
import { unsignConnectCookie } from './signature.js';

export interface ExpressSessionMigrationOptions {
  /** express-session's `secret`: one, or the list it was given (each one verifies). */
  secret: string | readonly string[];
  /** The express-session store the old sessions live in (the same instance or configuration as before). */
  store: ConnectStore;
  /** express-session's cookie name. Default 'connect.sid'. */
  name?: string;
  /** Where the old cookie was set, so that clearing it reaches it. Default Path=/ and no Domain. */
  cookie?: { path?: string; domain?: string };
  /** Milliseconds one call of the old store may take. Default DEFAULT_TIMEOUT_MS. */
  timeout?: number;
  /**
   * Milliseconds the old cookie still leads to the session it was migrated into, so that
   * requests racing the first migration (or just after it) are not logged out. 0 keeps no
   * link. Default one minute (DEFAULT_MIGRATION_GRACE_MS).
   */
  grace?: number;
}

/** express-session's own bookkeeping in a stored session, never application data (session-file-store adds `__lastAccess`). */
const BOOKKEEPING = new Set(['cookie', '__lastAccess']);
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ATTRIBUTE_VALUE = /^[\u0021-\u003A\u003C-\u007E]+$/;
const REMEDY = "Check the old express-session store's backend (is its server up and reachable?).";

/**
 * The `migrate` option for applications that move from express-session: a request that
 * carries express-session's signed cookie (and no sessionkit session) whose record exists
 * in the old store keeps its data under a new sessionkit id; the old record is deleted and
 * the old cookie cleared. Requests that carry the old cookie within `grace` of the first
 * one land in the same session. Unsigned, forged, unknown or expired old cookies are ignored.
 */
export function expressSessionMigration(options: ExpressSessionMigrationOptions): SessionMigration {
  const secrets = typeof options.secret === 'string' ? [options.secret] : [...(options.secret ?? [])];
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret === '')) {
    throw new SessionConfigError('expressSessionMigration(): secret must be the non-empty string (or list of strings) express-session was given.');
  }
  const store = options.store;
  if (typeof store !== 'object' || store === null || typeof store.get !== 'function' || typeof store.destroy !== 'function') {
    throw new SessionConfigError('expressSessionMigration(): store must be the express-session store the old sessions live in.');
  }
  const cookieName = options.name ?? 'connect.sid';
  if (!COOKIE_NAME.test(cookieName)) throw new SessionConfigError(`expressSessionMigration(): '${cookieName}' is not a valid cookie name.`);
  const path = options.cookie?.path ?? '/';
  const domain = options.cookie?.domain;
  for (const [attribute, value] of [['path', path], ['domain', domain]] as const) {
    if (value !== undefined && !ATTRIBUTE_VALUE.test(value)) {
      throw new SessionConfigError(`expressSessionMigration(): cookie.${attribute} '${value}' cannot be written in a Set-Cookie header.`);
    }
  }
  const graceMs = options.grace ?? DEFAULT_MIGRATION_GRACE_MS;
  if (!(graceMs >= 0) || !Number.isFinite(graceMs)) {
    throw new SessionConfigError(`expressSessionMigration(): grace must be a number of milliseconds, 0 or more (0 keeps no link), got ${String(options.grace)}.`);
  }
  const scope: CallScope = { name: 'express-session migration', timeout: options.timeout ?? DEFAULT_TIMEOUT_MS };

  return {
    cookieName,
    graceMs,
    clearCookie: `${cookieName}=; Path=${path}${domain === undefined ? '' : `; Domain=${domain}`}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`,

    async read(cookieValue) {
      const sid = unsignConnectCookie(cookieValue, secrets);
      if (sid === undefined) return undefined;
      const session = await storeCall(scope, 'get', REMEDY, async () => {
        try {
          return await callbackToPromise<ConnectSession | null | undefined>((cb) => store.get(sid, cb));
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      });
      if (typeof session !== 'object' || session === null || Array.isArray(session)) return undefined;
      const expires = session.cookie?.expires;
      if (expires !== undefined && expires !== null && new Date(expires).getTime() <= Date.now()) return undefined;
      const data: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(session)) {
        if (!BOOKKEEPING.has(field)) data[field] = value;
      }
      return data;
    },

    async remove(cookieValue) {
      const sid = unsignConnectCookie(cookieValue, secrets);
      if (sid === undefined) return;
      await storeCall(scope, 'destroy', REMEDY, async () => {
        try {
          await callbackToPromise((cb) => store.destroy(sid, cb));
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      });
    },
  };
}
