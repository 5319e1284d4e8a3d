/**
 * A session file: 4-byte magic, expiresAt (float64, big-endian), 8-byte version, then
 * (magic 'SKS2') the key's length (uint32, big-endian) and the key in UTF-8, then the
 * session bytes. The expiry sits at a fixed offset so that touch rewrites only those 8
 * bytes. The key is there for listing (keys()): the file's name is only its hash.
 *
 * Files of the first layout (magic 'SKS1', no key) still read, touch and expire as before;
 * a listing cannot name their key and leaves them out until their session is written again
 * (every write writes the current layout).
 */
import { open } from 'node:fs/promises';

const MAGIC = Buffer.from('SKS2');
/** The first layout, without the key. */
const MAGIC_WITHOUT_KEY = Buffer.from('SKS1');
/** Magic, expiry and version: the part both layouts share. */
export const HEADER_BYTES = 4 + 8 + 8;
export const EXPIRY_OFFSET = 4;
const KEY_LENGTH_BYTES = 4;
/** Read at once by a listing: the header and a key of up to this many bytes more (a longer one takes a second read). */
const LISTING_READ_BYTES = HEADER_BYTES + KEY_LENGTH_BYTES + 512;

export interface FileRecord {
  expiresAt: number;
  version: string;
  data: Uint8Array;
}

/** What a listing reads of a file: its expiry and, in the current layout, its key. */
export interface FileHeader {
  expiresAt: number;
  key: string | undefined;
}

export function encode(key: string, expiresAt: number, version: Buffer, data: Uint8Array): Buffer {
  const keyBytes = Buffer.from(key);
  const header = Buffer.alloc(HEADER_BYTES + KEY_LENGTH_BYTES);
  MAGIC.copy(header, 0);
  header.writeDoubleBE(expiresAt, EXPIRY_OFFSET);
  version.copy(header, EXPIRY_OFFSET + 8);
  header.writeUInt32BE(keyBytes.length, HEADER_BYTES);
  return Buffer.concat([header, keyBytes, data]);
}

/** The record in a file's bytes (either layout), or a description of what the file holds instead. */
export function decode(bytes: Buffer): FileRecord | string {
  if (bytes.length < HEADER_BYTES) return `a ${bytes.length}-byte file, shorter than the header (truncated?)`;
  const dataStart = dataOffset(bytes);
  if (dataStart === undefined) return 'a file without the session header';
  if (dataStart > bytes.length) return 'a file shorter than the key its header announces (truncated?)';
  return {
    expiresAt: bytes.readDoubleBE(EXPIRY_OFFSET),
    version: bytes.subarray(EXPIRY_OFFSET + 8, HEADER_BYTES).toString('base64url'),
    data: new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart, bytes.length - dataStart),
  };
}

/** Where the session bytes start, by the file's magic; undefined for a file that is not ours. */
function dataOffset(bytes: Buffer): number | undefined {
  const magic = bytes.subarray(0, 4);
  if (magic.equals(MAGIC_WITHOUT_KEY)) return HEADER_BYTES;
  if (!magic.equals(MAGIC) || bytes.length < HEADER_BYTES + KEY_LENGTH_BYTES) return undefined;
  return HEADER_BYTES + KEY_LENGTH_BYTES + bytes.readUInt32BE(HEADER_BYTES);
}

/** The expiry in a session file's header, or undefined if it is not one of ours (or is gone). */
export async function readExpiry(path: string): Promise<number | undefined> {
  return (await readHeader(path, false))?.expiresAt;
}

/**
 * The expiry and (with `withKey`) the key of a session file, reading no further than the
 * key; undefined for a file that is not ours or is gone. `key` is undefined for a file of
 * the first layout, and for one whose key is cut short.
 */
export async function readHeader(path: string, withKey = true): Promise<FileHeader | undefined> {
  try {
    const handle = await open(path, 'r');
    try {
      const head = Buffer.alloc(withKey ? LISTING_READ_BYTES : HEADER_BYTES + KEY_LENGTH_BYTES);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const keyEnd = bytesRead >= HEADER_BYTES ? dataOffset(head.subarray(0, bytesRead)) : undefined;
      if (keyEnd === undefined) return undefined;
      const expiresAt = head.readDoubleBE(EXPIRY_OFFSET);
      const keyStart = HEADER_BYTES + KEY_LENGTH_BYTES;
      if (!withKey || keyEnd === HEADER_BYTES) return { expiresAt, key: undefined };
      if (keyEnd <= bytesRead) return { expiresAt, key: head.toString('utf8', keyStart, keyEnd) };
      // A key longer than the first read: read the rest, if the file holds it (a garbled
      // length must not size a buffer).
      if (keyEnd > (await handle.stat()).size) return { expiresAt, key: undefined };
      const keyBytes = Buffer.alloc(keyEnd - keyStart);
      await handle.read(keyBytes, 0, keyBytes.length, keyStart);
      return { expiresAt, key: keyBytes.toString() };
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // removed meanwhile
  }
}

export function expiryBytes(expiresAt: number): Buffer {
  const expiry = Buffer.alloc(8);
  expiry.writeDoubleBE(expiresAt);
  return expiry;
}
