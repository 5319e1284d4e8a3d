import { primitives } from '#crypto';
import { cookieAttributeProblem } from './cookie/cookie-attributes.js';
import type { CookieSettings } from './cookie/cookie-header.js';
import { isLifetimeMs } from '../core/duration.js';

/**
 * What the engine stores for one session: its fields and its permanent flag; the id when
 * the cookie holds the session (a sealed cookie has no store key to carry it); when it was
 * created (for the absolute timeout, and for listing a user's sessions); and what the
 * session set for itself — its own lifetime and cookie attributes — only when it did; and,
 * with `userField`, until when the user index covers it (`x`, ./user-sessions.ts) or, in a
 * sealed cookie, since when it belongs to its user (`a`, ./cookie-revocations.ts); with
 * `freshness`, when its user last proved who they are (`u`, ../freshness/freshness.ts).
 */
export interface Payload {
  /** permanent: the cookie lives as long as the record (else a browser-session cookie). */
  p: boolean;
  /** data: the application's fields. */
  d: Record<string, unknown>;
  /** id: the session id, in a sealed cookie only. */
  i?: string;
  /** createdAt (epoch ms). */
  t?: number;
  /** lifetimeMs: the session's own lifetime (remember-me), when it set one. */
  l?: number;
  /** cookie: the cookie attributes the session set for itself. */
  c?: CookieSettings;
  /** indexedUntil: until when the user index covers the session (`userField`). */
  x?: number;
  /** signedInAt: since when a sealed session belongs to its user (`revocations`). */
  a?: number;
  /** authenticatedAt: when the user last proved who they are (`freshness`). */
  u?: number;
  /** bound: the fingerprint of the request its user signed in from (`bind`). */
  b?: string;
}

/** The optional parts of a payload, by name; undefined ones are left out, never stored as nil. */
export interface PayloadParts {
  id?: string | undefined;
  createdAt?: number | undefined;
  lifetimeMs?: number | undefined;
  cookie?: CookieSettings | undefined;
  indexedUntil?: number | undefined;
  signedInAt?: number | undefined;
  authenticatedAt?: number | undefined;
  bound?: string | undefined;
}

/** A payload with only the parts a session has. */
export function makePayload(permanent: boolean, data: Record<string, unknown>, parts: PayloadParts): Payload {
  const payload: Payload = { p: permanent, d: data };
  if (parts.id !== undefined) payload.i = parts.id;
  if (parts.createdAt !== undefined) payload.t = parts.createdAt;
  if (parts.lifetimeMs !== undefined) payload.l = parts.lifetimeMs;
  if (parts.cookie !== undefined) payload.c = parts.cookie;
  if (parts.indexedUntil !== undefined) payload.x = parts.indexedUntil;
  if (parts.signedInAt !== undefined) payload.a = parts.signedInAt;
  if (parts.authenticatedAt !== undefined) payload.u = parts.authenticatedAt;
  if (parts.bound !== undefined) payload.b = parts.bound;
  return payload;
}

/**
 * Whether a decoded record is a payload this engine can use and write back: each part of
 * its type, `d` a plain map (a binary there would become one session field per byte), the
 * lifetime and cookie settings within what configuration accepts (anything else would fail
 * every later write of the session). Records come from the store, which someone else may write.
 */
export function isPayload(value: unknown): value is Payload {
  if (!isPlainMap(value)) return false;
  const { p, d, i, t, l, c, x, a, u, b } = value as Partial<Payload>;
  return (
    typeof p === 'boolean' &&
    isPlainMap(d) &&
    (i === undefined || typeof i === 'string') &&
    (t === undefined || isFiniteNumber(t)) &&
    (l === undefined || isLifetimeMs(l)) &&
    (c === undefined || isCookieSettings(c)) &&
    (x === undefined || (typeof x === 'number' && !Number.isNaN(x))) &&
    (a === undefined || isFiniteNumber(a)) &&
    (u === undefined || isFiniteNumber(u)) &&
    (b === undefined || typeof b === 'string')
  );
}

/** What a decoder makes of a map (msgpack) or an object (JSON): not an array, a binary, a Date or an extension's instance. */
function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

const SETTING_TYPES: Record<keyof CookieSettings, (value: unknown) => boolean> = {
  domain: (value) => typeof value === 'string',
  path: (value) => typeof value === 'string' && value.startsWith('/'),
  httpOnly: (value) => typeof value === 'boolean',
  secure: (value) => typeof value === 'boolean' || value === 'auto',
  sameSite: (value) => value === false || value === 'lax' || value === 'strict' || value === 'none',
};

/** Stored cookie settings are data from the store: only known attributes of the right type, that a Set-Cookie can carry, count. */
function isCookieSettings(value: unknown): value is CookieSettings {
  if (!isPlainMap(value)) return false;
  const typed = Object.entries(value).every(
    ([name, setting]) => Object.hasOwn(SETTING_TYPES, name) && (setting === undefined || SETTING_TYPES[name as keyof CookieSettings](setting)),
  );
  return typed && cookieAttributeProblem(value.domain as string | undefined, value.path as string | undefined) === undefined;
}

export function isEmpty(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return false;
  return true;
}

export function equalBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && primitives.equalBytes(a, b);
}
