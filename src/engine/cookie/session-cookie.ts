import { cookieAttributeProblem, cookiePrefixProblem } from './cookie-attributes.js';
import type { CookieSettings } from './cookie-header.js';
import { MAX_LIFETIME_MS, MIN_LIFETIME_MS } from '../../core/duration.js';
import { SessionConfigError } from '../../core/errors.js';
import type { SameSite, SessionCookieView } from '../../core/session.js';
import type { ResolvedCookieOptions, ResolvedOptions } from '../options.js';
import { lifetimeOf, type SessionState } from '../session-state.js';

/**
 * A session's cookie as express-session shows it (`req.session.cookie`), settable per
 * session. What is set here is stored with the session, so a refresh keeps it:
 *
 *     req.session.cookie.maxAge = 30 * 86400e3; // remember me for 30 days
 *     req.session.cookie.maxAge = null;         // a browser-session cookie
 */
export class SessionCookie implements SessionCookieView {
  readonly #state: SessionState;
  readonly #options: Pick<ResolvedOptions, 'cookie' | 'lifetimeMs'>;
  /** What `maxAge = 0` (or a past `expires`) does: end the session, as the browser would drop its cookie. */
  readonly #end: () => void;
  /**
   * The lifetime `maxAge` set during this request and the stored expiry it was set over:
   * until a write replaces that expiry, the new lifetime counts from now, as the next write
   * will count it (express-session's getter reads the new value back at once).
   */
  #assigned: { lifetimeMs: number; over: number | undefined } | undefined;

  constructor(state: SessionState, options: Pick<ResolvedOptions, 'cookie' | 'lifetimeMs'>, end: () => void) {
    this.#state = state;
    this.#options = options;
    this.#end = end;
  }

  /** Milliseconds until the cookie expires; null for a browser-session cookie. */
  get maxAge(): number | null {
    const expires = this.expires;
    return expires === null ? null : expires.getTime() - Date.now();
  }

  /**
   * A lifetime for this session alone, in milliseconds: the session becomes permanent with
   * it. `null` makes it a browser-session cookie; 0 or less ends the session.
   */
  set maxAge(value: number | null) {
    if (value === null) {
      this.#state.permanent = false;
      return;
    }
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new SessionConfigError(`session.cookie.maxAge must be a number of milliseconds or null, got ${typeof value}.`);
    }
    if (value <= 0) {
      this.#end();
      return;
    }
    // Within the lifetimes a store can hold (./duration.ts); a browser keeps 400 days at most anyway.
    this.#state.lifetimeMs = Math.min(MAX_LIFETIME_MS, Math.max(MIN_LIFETIME_MS, Math.floor(value)));
    this.#state.permanent = true;
    this.#assigned = { lifetimeMs: this.#state.lifetimeMs, over: this.#state.expiresAt };
  }

  /** When the cookie expires; null for a browser-session cookie. */
  get expires(): Date | null {
    const state = this.#state;
    if (!state.permanent) return null;
    const assigned = this.#assigned;
    const unwritten = assigned !== undefined && assigned.over === state.expiresAt && assigned.lifetimeMs === state.lifetimeMs;
    return new Date(!unwritten && state.expiresAt !== undefined ? state.expiresAt : Date.now() + lifetimeOf(this.#options, state));
  }

  set expires(value: Date | null) {
    this.maxAge = value === null ? null : value.getTime() - Date.now();
  }

  /** The lifetime the cookie was given, in milliseconds; null for a browser-session cookie. */
  get originalMaxAge(): number | null {
    return this.#state.permanent ? lifetimeOf(this.#options, this.#state) : null;
  }

  get httpOnly(): boolean {
    return this.#setting('httpOnly');
  }

  set httpOnly(value: boolean) {
    this.#set('httpOnly', Boolean(value));
  }

  get secure(): boolean | 'auto' {
    return this.#setting('secure');
  }

  set secure(value: boolean | 'auto') {
    this.#set('secure', value === 'auto' ? 'auto' : Boolean(value));
  }

  get sameSite(): SameSite {
    return this.#setting('sameSite');
  }

  set sameSite(value: SameSite) {
    const lower = value === false ? false : String(value).toLowerCase();
    if (lower !== false && lower !== 'lax' && lower !== 'strict' && lower !== 'none') {
      throw new SessionConfigError(`session.cookie.sameSite must be 'lax', 'strict', 'none' or false, got ${String(value)}.`);
    }
    this.#set('sameSite', lower);
  }

  get path(): string {
    return this.#setting('path');
  }

  set path(value: string) {
    if (typeof value !== 'string' || !value.startsWith('/')) throw new SessionConfigError("session.cookie.path must start with '/'.");
    this.#refuseUnwritable(undefined, value);
    this.#set('path', value);
  }

  get domain(): string | undefined {
    return this.#setting('domain');
  }

  set domain(value: string | undefined) {
    this.#refuseUnwritable(value || undefined, undefined);
    this.#set('domain', value || undefined);
  }

  /** express-session's shape, for code that logs or serializes the cookie. */
  toJSON(): Record<string, unknown> {
    return {
      originalMaxAge: this.originalMaxAge,
      expires: this.expires,
      httpOnly: this.httpOnly,
      secure: this.secure,
      sameSite: this.sameSite,
      path: this.path,
      domain: this.domain,
    };
  }

  /** Refused when set, not at the commit, where it would fail the response. */
  #refuseUnwritable(domain: string | undefined, path: string | undefined): void {
    const problem = cookieAttributeProblem(domain, path);
    if (problem !== undefined) throw new SessionConfigError(`session.cookie cannot carry that value in a Set-Cookie header (${problem}).`);
  }

  #setting<K extends keyof CookieSettings>(name: K): ResolvedCookieOptions[K] {
    return this.#state.cookieSettings?.[name] ?? this.#options.cookie[name];
  }

  /** Refused when it would break the cookie name's prefix (`__Host-`, `__Http-`…): the browser would drop the cookie. */
  #set<K extends keyof CookieSettings>(name: K, value: CookieSettings[K]): void {
    const settings: CookieSettings = { ...this.#state.cookieSettings, [name]: value };
    const configured = this.#options.cookie;
    const problem = cookiePrefixProblem(configured.name, {
      secure: settings.secure ?? configured.secure,
      httpOnly: settings.httpOnly ?? configured.httpOnly,
      domain: settings.domain ?? configured.domain,
      path: settings.path ?? configured.path,
    });
    if (problem !== undefined) throw new SessionConfigError(`session.cookie: ${problem}`);
    this.#state.cookieSettings = settings;
  }
}
