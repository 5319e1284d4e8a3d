/**
 * What the store keeps under a session's key: one Uint8Array (KV stores those as raw bytes,
 * the same in Deno and in @deno/kv), laid out as
 *
 *     "sk" 0x01 | token: 8 bytes | expiresAt: float64, big-endian | the session's bytes
 *
 * The expiry is ours, checked on every read: KV's `expireIn` deletes an entry only
 * eventually (locally about a minute late; until then get and list return it). The token
 * is new on every write except a touch, so that a version survives a refresh: see
 * ./version.ts. Anything else under our key (another application's value, another type)
 * is not a session of ours.
 */
import type { StoreRecord } from '../../core/store.js';

const MAGIC_0 = 0x73; // 's'
const MAGIC_1 = 0x6b; // 'k'
const FORMAT = 1;
export const TOKEN_BYTES = 8;
const EXPIRY_OFFSET = 3 + TOKEN_BYTES;
export const HEADER_BYTES = EXPIRY_OFFSET + 8;

/** KV's limit on one value, in bytes: a bigger write is refused by KV itself. */
export const KV_VALUE_LIMIT = 65_536;
/** The biggest session that fits in one value with our header. */
export const MAX_SESSION_BYTES = KV_VALUE_LIMIT - HEADER_BYTES;

/** A stored session: the record, and the token of the write that made it. */
export interface StoredValue {
  readonly data: Uint8Array;
  readonly expiresAt: number;
  readonly token: Uint8Array;
}

export function newToken(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
}

export function encodeValue(record: StoreRecord, token: Uint8Array): Uint8Array {
  const value = new Uint8Array(HEADER_BYTES + record.data.byteLength);
  value[0] = MAGIC_0;
  value[1] = MAGIC_1;
  value[2] = FORMAT;
  value.set(token, 3);
  new DataView(value.buffer).setFloat64(EXPIRY_OFFSET, record.expiresAt);
  value.set(record.data, HEADER_BYTES);
  return value;
}

/** The session in `value`, or undefined when `value` is not one of ours. */
export function decodeValue(value: unknown): StoredValue | undefined {
  if (!(value instanceof Uint8Array) || value.byteLength < HEADER_BYTES) return undefined;
  if (value[0] !== MAGIC_0 || value[1] !== MAGIC_1 || value[2] !== FORMAT) return undefined;
  const expiresAt = new DataView(value.buffer, value.byteOffset, value.byteLength).getFloat64(EXPIRY_OFFSET);
  if (Number.isNaN(expiresAt)) return undefined;
  // Views, not copies: the value read is ours alone (Node hands out a Buffer; a plain Uint8Array view of it).
  const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return { data: bytes.subarray(HEADER_BYTES), expiresAt, token: bytes.subarray(3, EXPIRY_OFFSET) };
}

/** KV's expireIn for a record: whole milliseconds, at least 1 (KV refuses 0 in Node), never before our expiry. */
export function expireIn(expiresAt: number, now = Date.now()): number | undefined {
  if (!Number.isFinite(expiresAt)) return undefined;
  return Math.max(1, Math.ceil(expiresAt - now));
}
