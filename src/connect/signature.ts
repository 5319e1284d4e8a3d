/**
 * express-session's signed cookie value: `s:` + id + `.` + HMAC-SHA256(id) in base64
 * without `=` padding, the format of the cookie-signature package it uses.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signature of `value` with `secret`, as cookie-signature writes it. */
export function signConnectValue(value: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
  return `${value}.${mac}`;
}

/**
 * The session id in a cookie value express-session signed with one of `secrets` (already
 * URL-decoded, or still encoded), or undefined when it is unsigned, malformed or forged.
 */
export function unsignConnectCookie(cookieValue: string, secrets: readonly string[]): string | undefined {
  let value = cookieValue;
  if (value.includes('%')) {
    try {
      value = decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  if (!value.startsWith('s:')) return undefined;
  const signed = value.slice(2);
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const sid = signed.slice(0, dot);
  const given = Buffer.from(signed);
  let valid = false;
  for (const secret of secrets) {
    const expected = Buffer.from(signConnectValue(sid, secret));
    // Every secret is tried, so the time taken does not say which one matched.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid ? sid : undefined;
}
