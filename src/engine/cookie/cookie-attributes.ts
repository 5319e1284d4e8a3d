import { serialize } from 'cookie';

/**
 * Why a Set-Cookie with this Domain and Path could not be written (the cookie library's own
 * reason, which ./cookie-header.ts writes with), or undefined when it can. The one rule for
 * the configured attributes, those a session sets for itself and those read back with a
 * stored session: a value the library refuses would fail every response of the session.
 */
export function cookieAttributeProblem(domain: string | undefined, path: string | undefined): string | undefined {
  try {
    serialize('n', 'v', { domain, path });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The attributes a cookie name prefix constrains. */
export interface PrefixedAttributes {
  readonly secure: boolean | 'auto';
  readonly httpOnly: boolean;
  readonly domain: string | undefined;
  readonly path: string;
}

/**
 * The name prefixes browsers enforce (RFC 6265bis, matched without regard to case), longest
 * first: a cookie whose attributes break its prefix's rules is dropped by the browser without
 * a word. `__Http-` and `__Host-Http-` (Chromium) add HttpOnly, which the browser then
 * enforces, so no script can ever have set the cookie.
 */
const PREFIXES = [
  { prefix: '__host-http-', shown: '__Host-Http-', host: true, http: true },
  { prefix: '__http-', shown: '__Http-', host: false, http: true },
  { prefix: '__host-', shown: '__Host-', host: true, http: false },
  { prefix: '__secure-', shown: '__Secure-', host: false, http: false },
] as const;

/**
 * Why a browser would refuse a cookie of this name with these attributes, or undefined. Every
 * prefix needs Secure (`'auto'` counts: the cookie is then Secure wherever it can be kept);
 * `__Host-` also Path=/ and no Domain; `__Http-` and `__Host-Http-` also HttpOnly.
 */
export function cookiePrefixProblem(name: string, attributes: PrefixedAttributes): string | undefined {
  const lower = name.toLowerCase();
  const rule = PREFIXES.find(({ prefix }) => lower.startsWith(prefix));
  if (!rule) return undefined;
  const needs: string[] = [];
  if (attributes.secure === false) needs.push('cookie.secure set');
  if (rule.http && !attributes.httpOnly) needs.push('cookie.httpOnly');
  if (rule.host && attributes.path !== '/') needs.push("cookie.path '/'");
  if (rule.host && attributes.domain) needs.push('no cookie.domain');
  if (needs.length === 0) return undefined;
  const list = needs.length === 1 ? needs[0]! : `${needs.slice(0, -1).join(', ')} and ${needs.at(-1)!}`;
  return `cookie.name "${name}" starts with ${rule.shown}, which browsers accept only with ${list}.`;
}
