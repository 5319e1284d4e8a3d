/**
 * CSRF protection with a synchronizer token: a random token kept in the session, put in
 * every form (`csrfToken()`), and required back on every unsafe request, from a header or
 * a form field. Another site can make the browser send the session cookie, but cannot read
 * a page of this one to learn the token. Framework-free: each adapter reads the method, the
 * header and the parsed body its own way and asks `csrfRefusal` (adapters/shared/csrf.ts).
 *
 * The token lives in the `csrf_token` data field, as Flask-WTF keeps it, so a session
 * shared with a Flask application accepts the same token, and `multiSession` can route the
 * field to a sealed cookie of its own. With the `csrf` option `regenerate()` drops it: a token
 * seen before login is worthless after.
 */
import { primitives } from '#crypto';
import { SessionConfigError } from '../core/errors.js';
import type { CsrfPolicy } from '../core/manager.js';
import { equalText } from '../crypto/equal.js';

/** The data field the token lives in. */
export const CSRF_FIELD = 'csrf_token';

/** csrf-sync's field: a stored one is loaded as data (it names the csrfToken() control), so apps that keep csrf-sync work. */
export const CSRF_SYNC_FIELD = 'csrfToken';

/** 32 random bytes: 43 characters of base64url. */
const TOKEN_BYTES = 32;

/** Methods that change nothing, by HTTP's rules: never checked. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);


/** The `csrf` option as given. */
export interface CsrfOptions {
  /** The request header that carries the token (fetch, htmx, Axios). @default 'x-csrf-token' */
  header?: string;
  /** The form field that carries the token, in a parsed form body. @default '_csrf' */
  field?: string;
}

export type { CsrfPolicy };

export const DEFAULT_CSRF_POLICY: CsrfPolicy = { header: 'x-csrf-token', field: '_csrf' };

/**
 * An unsafe request without the session's CSRF token: answered 403. `code` is csurf's and
 * csrf-sync's, so error handlers written for them recognise it.
 */
export class CsrfError extends Error {
  override readonly name = 'CsrfError';
  readonly code = 'EBADCSRFTOKEN';
  /** The status Express, Koa (with `expose`) and Fastify answer with. */
  readonly status = 403;
  readonly statusCode = 403;
  readonly expose = true;

  /** The 403 a fetch handler answers with (Hono's middleware, `webSessions().handle`); also what later Hono's default error handler asks of an error. */
  getResponse(): Response {
    return new Response(this.message, { status: this.status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }

  constructor(readonly reason: 'missing' | 'mismatch' | 'no-session-token') {
    super(`sessionkit: CSRF token ${reason === 'mismatch' ? 'does not match the session' : reason === 'missing' ? 'missing' : 'missing: this session was given none'} (send csrfToken() in the _csrf form field or the x-csrf-token header)`);
  }
}

/** The session's token, made (random, from the crypto generator) and kept on first use. */
export function csrfToken(session: object): string {
  const fields = session as Record<string, unknown>;
  const token = fields[CSRF_FIELD];
  if (typeof token === 'string' && token !== '') return token;
  const made = primitives.randomText(TOKEN_BYTES);
  fields[CSRF_FIELD] = made;
  return made;
}

/** Drops the session's token (at `regenerate()`): the next `csrfToken()` makes another. */
export function dropCsrfToken(session: object): void {
  if (Object.hasOwn(session, CSRF_FIELD)) delete (session as Record<string, unknown>)[CSRF_FIELD];
}

/** The request must carry the token: any method but GET, HEAD, OPTIONS and TRACE. */
export function isUnsafeMethod(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? 'GET').toUpperCase());
}

/**
 * The token a request sent: its header, else its form field in `body` (an object a body
 * parser made, or FormData / URLSearchParams). Undefined when neither holds text.
 */
export function sentToken(policy: CsrfPolicy, header: string | string[] | null | undefined, body: unknown): string | undefined {
  if (typeof header === 'string' && header !== '') return header;
  if (body instanceof FormData || body instanceof URLSearchParams) {
    const value = body.get(policy.field);
    return typeof value === 'string' ? value : undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const field = (body as Record<string, unknown>)[policy.field];
  return typeof field === 'string' ? field : undefined;
}

/**
 * The one decision: undefined when the request may go on (a safe method, or the session's
 * token sent back), else the error to refuse it with. The comparison takes the same time
 * wherever the texts differ.
 */
export function csrfRefusal(session: object, method: string | undefined, sent: string | undefined): CsrfError | undefined {
  if (!isUnsafeMethod(method)) return undefined;
  const expected = Object.hasOwn(session, CSRF_FIELD) ? (session as Record<string, unknown>)[CSRF_FIELD] : undefined;
  if (typeof expected !== 'string' || expected === '') return new CsrfError('no-session-token');
  if (sent === undefined) return new CsrfError('missing');
  return equalText(sent, expected) ? undefined : new CsrfError('mismatch');
}

/** A header name: an HTTP token. */
const HEADER_NAME = /^[!#$%&'*+.^\w`|~-]+$/;

/** The `csrf` option resolved (undefined when off); a name that cannot work fails at start-up. */
export function resolveCsrf(option: unknown): CsrfPolicy | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return DEFAULT_CSRF_POLICY;
  const given: { header?: unknown; field?: unknown } = typeof option === 'object' && option !== null ? option : {};
  const { header = DEFAULT_CSRF_POLICY.header, field = DEFAULT_CSRF_POLICY.field } = given;
  if (typeof option !== 'object' || option === null || typeof header !== 'string' || !HEADER_NAME.test(header) || typeof field !== 'string' || field === '') {
    throw new SessionConfigError('"csrf" must be true, false or { header, field }: header a request header name such as \'x-csrf-token\', field a form field name such as \'_csrf\'.');
  }
  return { header: header.toLowerCase(), field };
}
