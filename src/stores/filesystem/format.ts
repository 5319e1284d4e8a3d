/**
 * A session file: 4-byte magic 'SKS1', expiresAt (float64, big-endian), 8-byte version,
 * then the session bytes. The expiry sits at a fixed offset so that touch rewrites only
 * those 8 bytes.
 */
import { open } from 'node:fs/promises';

const MAGIC = Buffer.from('SKS1');
export const HEADER_BYTES = 4 + 8 + 8;
export const EXPIRY_OFFSET = 4;

export interface FileRecord {
  expiresAt: number;
  version: string;
  data: Uint8Array;
}

export function encode(expiresAt: number, version: Buffer, data: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeDoubleBE(expiresAt, EXPIRY_OFFSET);
  version.copy(header, EXPIRY_OFFSET + 8);
  return Buffer.concat([header, data]);
}

/** The record in a file's bytes, or a description of what the file holds instead. */
export function decode(bytes: Buffer): FileRecord | string {
  if (bytes.length < HEADER_BYTES) return `a ${bytes.length}-byte file, shorter than the header (truncated?)`;
  if (!bytes.subarray(0, 4).equals(MAGIC)) return 'a file without the session header';
  return {
    expiresAt: bytes.readDoubleBE(EXPIRY_OFFSET),
    version: bytes.subarray(EXPIRY_OFFSET + 8, HEADER_BYTES).toString('base64url'),
    data: new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, bytes.length - HEADER_BYTES),
  };
}

/** The expiry in a session file's header, or undefined if it is not one of ours (or is gone). */
export async function readExpiry(path: string): Promise<number | undefined> {
  try {
    const handle = await open(path, 'r');
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
      if (bytesRead < HEADER_BYTES || !header.subarray(0, 4).equals(MAGIC)) return undefined;
      return header.readDoubleBE(EXPIRY_OFFSET);
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
