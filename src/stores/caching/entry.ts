/**
 * What the caching store keeps in its cache under a session's key: one of three entries,
 * as bytes any store can hold.
 *
 * - a record: the durable store's bytes with the durable store's expiry and version, so a
 *   read served by the cache carries the version a compare-and-set is checked against in
 *   the durable store (a stale cache can lose a compare-and-set, never win one);
 * - absent: the durable store had no record (negative caching, for `missTtl`);
 * - stale: a write went to the durable store; the next read goes there and fills the cache.
 *
 * Layout: one kind byte; a record adds its expiry (float64, big-endian), the version's
 * length (uint16) and UTF-8 bytes (length 0: no version), then the data.
 */

const RECORD = 0xc1;
const ABSENT = 0xc2;
const STALE = 0xc3;
const RECORD_HEADER = 1 + 8 + 2;
/** Longest version kept in an entry; a longer one (no store of ours makes one) is not cached. */
const MAX_VERSION_BYTES = 0xffff;

export type CacheEntry =
  | { readonly kind: 'record'; readonly data: Uint8Array; readonly expiresAt: number; readonly version: string | undefined }
  | { readonly kind: 'absent' }
  | { readonly kind: 'stale' };

export const ABSENT_ENTRY: Uint8Array = Uint8Array.of(ABSENT);
export const STALE_ENTRY: Uint8Array = Uint8Array.of(STALE);

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a cached record; undefined when its version is too long to keep. */
export function recordEntry(data: Uint8Array, expiresAt: number, version: string | undefined): Uint8Array | undefined {
  const versionBytes = version === undefined ? new Uint8Array(0) : encoder.encode(version);
  if (versionBytes.length > MAX_VERSION_BYTES) return undefined;
  const bytes = new Uint8Array(RECORD_HEADER + versionBytes.length + data.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = RECORD;
  view.setFloat64(1, expiresAt);
  view.setUint16(9, versionBytes.length);
  bytes.set(versionBytes, RECORD_HEADER);
  bytes.set(data, RECORD_HEADER + versionBytes.length);
  return bytes;
}

/** The entry `bytes` hold; undefined when they are not one of ours (another program's value under the key). */
export function readEntry(bytes: Uint8Array): CacheEntry | undefined {
  if (bytes.length === 1 && bytes[0] === ABSENT) return { kind: 'absent' };
  if (bytes.length === 1 && bytes[0] === STALE) return { kind: 'stale' };
  if (bytes.length < RECORD_HEADER || bytes[0] !== RECORD) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expiresAt = view.getFloat64(1);
  const versionLength = view.getUint16(9);
  const dataStart = RECORD_HEADER + versionLength;
  if (!Number.isFinite(expiresAt) || dataStart > bytes.length) return undefined;
  let version: string | undefined;
  try {
    version = versionLength === 0 ? undefined : decoder.decode(bytes.subarray(RECORD_HEADER, dataStart));
  } catch {
    return undefined;
  }
  // A view, not a copy: the engine never changes the bytes it reads (StoreRecord.data).
  return { kind: 'record', data: bytes.subarray(dataStart), expiresAt, version };
}
