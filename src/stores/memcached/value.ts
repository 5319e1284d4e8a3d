/**
 * What memcached holds for a session, and under which key:
 *
 *   bytes 0-7   expiresAt, epoch milliseconds (float64, big-endian): checked on every read
 *   bytes 8-15  random nonce, new on every write: the record's version
 *   bytes 16-   the session bytes
 *
 * Memcached keeps time in whole seconds and may drop an item up to a second before the
 * exptime it was given, so items get the expiry rounded up plus one second, and the
 * header decides, to the millisecond, when a session stops existing.
 */
import { createHash } from 'node:crypto';

export const HEADER_BYTES = 16;
export const NONCE_BYTES = 8;
/** memcached's default item size limit (-I 1m). */
const ITEM_LIMIT_BYTES = 1024 * 1024;
/** What memcached 1.6 adds to an item with a 250-byte key (measured: 313), rounded up. */
const ITEM_OVERHEAD_BYTES = 320;
export const DEFAULT_MAX_VALUE_BYTES = ITEM_LIMIT_BYTES - ITEM_OVERHEAD_BYTES - HEADER_BYTES;
/** Exptimes above this many seconds are absolute Unix times to memcached. */
const RELATIVE_EXPTIME_LIMIT_S = 30 * 24 * 3600;
const MAX_KEY_LENGTH = 250;
const PLAIN_KEY = /^[\x21-\x22\x24-\x7e]{1,250}$/; // printable ASCII, no space, no '#'
const READABLE_PREFIX = /^[\x21-\x22\x24-\x7e]*/;

/** A value of ours, split into its parts (views into the value, no copies). */
export interface Parsed {
  expiresAt: number;
  nonce: Buffer;
  data: Uint8Array;
}

export function header(expiresAt: number, nonce: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES);
  bytes.writeDoubleBE(expiresAt, 0);
  nonce.copy(bytes, 8);
  return bytes;
}

/**
 * The parts of a value, or a description of what was found instead when it is not ours
 * (memcache-client hands back text or JSON another application stored with its flags).
 */
export function parseValue(value: unknown): Parsed | string {
  if (!Buffer.isBuffer(value)) return `a ${typeof value} value`;
  if (value.length < HEADER_BYTES) return `a ${value.length}-byte value, shorter than the header`;
  const expiresAt = value.readDoubleBE(0);
  if (Number.isNaN(expiresAt)) return 'a value without an expiry in its header';
  return {
    expiresAt,
    nonce: value.subarray(8, HEADER_BYTES),
    data: new Uint8Array(value.buffer, value.byteOffset + HEADER_BYTES, value.length - HEADER_BYTES),
  };
}

/**
 * Memcached's exptime for an absolute expiry: seconds rounded up plus one (memcached may
 * drop an item up to a second early; the header keeps the exact expiry), at least 1, and
 * as an absolute Unix time past 30 days, where memcached would misread a relative one.
 */
export function exptime(expiresAt: number, now = Date.now()): number {
  const seconds = Math.max(1, Math.ceil((expiresAt - now) / 1000) + 1);
  return seconds > RELATIVE_EXPTIME_LIMIT_S ? Math.ceil(expiresAt / 1000) + 1 : seconds;
}

/**
 * The memcached key for a store key: itself if memcached takes it (1-250 printable ASCII
 * characters without spaces), else its readable leading part + '#' + base64url SHA-256 of
 * the whole key, so two keys never share an item. Keys containing '#' are always hashed.
 */
export function memcachedKey(key: string): string {
  if (PLAIN_KEY.test(key)) return key;
  const digest = createHash('sha256').update(key, 'utf8').digest('base64url');
  const readable = READABLE_PREFIX.exec(key)![0].slice(0, MAX_KEY_LENGTH - digest.length - 1);
  return `${readable}#${digest}`;
}
