import { parse, serialize, type SerializeOptions } from 'cookie';
import type { ResolvedCookieOptions } from './options.js';

/**
 * The value of cookie `name` in a Cookie header, or undefined. When a browser sends
 * several cookies of one name (different paths), the first (most specific path) wins.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  return parse(header)[name];
}

/**
 * Cookie attributes one session set for itself (`req.session.cookie.httpOnly = …`, as
 * express-session has them); stored with the session, so later requests keep them.
 */
export type CookieSettings = Partial<Pick<ResolvedCookieOptions, 'domain' | 'path' | 'httpOnly' | 'secure' | 'sameSite'>>;

/** Builds the Set-Cookie values for one cookie configuration. */
export class CookieWriter {
  readonly #options: ResolvedCookieOptions;

  constructor(options: ResolvedCookieOptions) {
    this.#options = options;
  }

  /**
   * A cookie carrying `value`: persistent for `lifetimeMs` from `now` (Expires and
   * Max-Age), or without a lifetime a browser-session cookie.
   */
  set(value: string, secure: boolean, now: number, lifetimeMs: number | undefined, settings: CookieSettings | undefined): string {
    const attributes = this.#attributes(secure, settings);
    if (lifetimeMs !== undefined) {
      attributes.expires = new Date(now + lifetimeMs);
      attributes.maxAge = Math.floor(lifetimeMs / 1000);
    }
    return serialize(this.#options.name, value, attributes);
  }

  /**
   * A cookie that deletes the session cookie. It repeats Path, Domain, Secure and
   * SameSite of the cookie it deletes: browsers only replace a cookie whose attributes
   * match, and a __Host- cookie can only be deleted by a Secure one.
   */
  clear(secure: boolean, settings: CookieSettings | undefined): string {
    return serialize(this.#options.name, '', { ...this.#attributes(secure, settings), expires: new Date(0), maxAge: 0 });
  }

  /** Whether the cookie is Secure: the session's own setting, else the configured one ('auto': the request's). */
  isSecure(settings: CookieSettings | undefined, requestSecure: boolean | undefined): boolean {
    const configured = settings?.secure ?? this.#options.secure;
    return configured === 'auto' ? requestSecure === true : configured;
  }

  #attributes(secure: boolean, settings: CookieSettings | undefined): SerializeOptions {
    const options = settings ? { ...this.#options, ...settings } : this.#options;
    return {
      path: options.path,
      domain: options.domain,
      httpOnly: options.httpOnly,
      secure,
      sameSite: options.sameSite,
      partitioned: options.partitioned,
    };
  }
}
