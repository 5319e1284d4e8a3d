import { serialize, type SerializeOptions } from 'cookie';
import type { ResolvedCookieOptions } from '../options.js';

/**
 * The value of cookie `name` in a Cookie header, or undefined. When a browser sends
 * several cookies of one name (different paths), the first (most specific path) wins.
 *
 * Reads what the cookie library's `parse(header)[name]` reads (test/core/cookie-header.test.ts
 * compares the two), without building an object of every cookie in the header: on every
 * request that is about an eighth of the engine's read of a small session (bench/RESULTS.md).
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const length = header.length;
  for (let start = 0; start < length; ) {
    const equals = header.indexOf('=', start);
    if (equals === -1) return undefined; // no pair left
    const semicolon = header.indexOf(';', start);
    const end = semicolon === -1 ? length : semicolon;
    if (equals > end) {
      // Parts without '=' are no pairs: go straight to the part that holds this '='. Taken
      // one at a time, each would search the rest of the header for '=' again, quadratic in
      // the length of a header like `a;a;a;…;session=…`.
      start = header.lastIndexOf(';', equals) + 1;
      continue;
    }
    if (isNameAt(header, start, equals, name)) return decodeValue(trimmed(header, equals + 1, end));
    start = end + 1;
  }
  return undefined;
}

/** Whether `text` between `start` and `end`, less spaces and tabs around it, is `name`. */
function isNameAt(text: string, start: number, end: number, name: string): boolean {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return end - start === name.length && text.startsWith(name, start);
}

function trimmed(text: string, start: number, end: number): string {
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** Space or tab: what the cookie library trims around names and values. */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** A percent-encoded value decoded, as the cookie library does; one that does not decode is kept as sent. */
function decodeValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Bytes of a string in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x80) bytes += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/**
 * A cookie's lifetime in whole seconds, rounded up: Max-Age and Expires count in seconds,
 * and a cookie must never die before its session (rounded down, a session in its last
 * second would be sent `Max-Age=0`, which deletes the cookie while the server still holds it).
 */
function maxAgeSeconds(lifetimeMs: number): number {
  return Math.ceil(lifetimeMs / 1000);
}

/** The second an Expires date names for a session that ends at `at` (ms): rounded up, as Max-Age. */
function expiresSecond(at: number): number {
  return Math.ceil(at / 1000);
}

/**
 * Cookie attributes one session set for itself (`req.session.cookie.httpOnly = …`, as
 * express-session has them); stored with the session, so later requests keep them.
 */
export type CookieSettings = Partial<Pick<ResolvedCookieOptions, 'domain' | 'path' | 'httpOnly' | 'secure' | 'sameSite'>>;

/** A persistent cookie's lifetime: `ms` milliseconds from `from` (epoch ms). */
export interface CookieLifetime {
  readonly from: number;
  readonly ms: number;
}

/**
 * Builds the Set-Cookie values for one cookie configuration. Most responses that set a
 * cookie set this configuration's cookie with a new value and expiry, so the attributes
 * around those are serialized (and validated) once, by the cookie library, and reused; the
 * Expires date is formatted once per second. A session with cookie settings of its own goes
 * through the library each time.
 */
export class CookieWriter {
  readonly #options: ResolvedCookieOptions;
  /** The attributes of this configuration's cookie without its expiry, by Secure or not: [before Expires, after it]. */
  readonly #parts: [[string, string] | undefined, [string, string] | undefined] = [undefined, undefined];
  #expiresSecond = Number.NaN;
  #expiresText = '';

  constructor(options: ResolvedCookieOptions) {
    this.#options = options;
  }

  /**
   * A cookie carrying `value`: persistent for `lifetime.ms` from `lifetime.from` (Expires
   * and Max-Age), or without a lifetime a browser-session cookie. `value` is the carrier's
   * own (base64url and '.'), which needs no encoding.
   */
  set(value: string, secure: boolean, settings: CookieSettings | undefined, lifetime?: CookieLifetime): string {
    if (settings) {
      const attributes = this.#attributes(secure, settings);
      if (lifetime) {
        attributes.expires = new Date(expiresSecond(lifetime.from + lifetime.ms) * 1000);
        attributes.maxAge = maxAgeSeconds(lifetime.ms);
      }
      return serialize(this.#options.name, value, attributes);
    }
    const [beforeExpires, afterExpires] = this.#partsFor(secure);
    const start = `${this.#options.name}=${value}`;
    if (!lifetime) return start + beforeExpires + afterExpires;
    // The order is the cookie library's: Max-Age, Domain, Path, Expires, HttpOnly, Secure, Partitioned, SameSite.
    return `${start}; Max-Age=${maxAgeSeconds(lifetime.ms)}${beforeExpires}; Expires=${this.#expires(lifetime.from + lifetime.ms)}${afterExpires}`;
  }

  #partsFor(secure: boolean): [string, string] {
    const index = secure ? 1 : 0;
    let parts = this.#parts[index];
    if (!parts) {
      const { path, domain, httpOnly, sameSite, partitioned } = this.#attributes(secure, undefined);
      const prefix = `${this.#options.name}=v`;
      parts = [
        serialize(this.#options.name, 'v', { path, domain }).slice(prefix.length),
        serialize(this.#options.name, 'v', { httpOnly, secure, sameSite, partitioned }).slice(prefix.length),
      ];
      this.#parts[index] = parts;
    }
    return parts;
  }

  /** An Expires date as the cookie library writes it; whole seconds, so the text of the last second is reused. */
  #expires(at: number): string {
    const second = expiresSecond(at);
    if (second !== this.#expiresSecond) {
      this.#expiresSecond = second;
      this.#expiresText = new Date(second * 1000).toUTCString();
    }
    return this.#expiresText;
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
