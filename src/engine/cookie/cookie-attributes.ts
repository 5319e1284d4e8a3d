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
