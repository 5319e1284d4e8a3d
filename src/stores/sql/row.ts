/** A table row as a record, and the values a write puts in one. */
import type { StoreRecord } from '../../core/store.js';

/**
 * The record in a row, or a description of what was found instead. SQLite's columns take
 * any type: a row another program wrote with TEXT in `data` is not a session of ours.
 * Drivers give bytes as a Buffer (a Uint8Array); D1 gives an array of numbers and a
 * Durable Object's SQLite an ArrayBuffer, which their connections turn into a Uint8Array.
 */
export function recordFrom(row: Record<string, unknown>): StoreRecord | string {
  if (!(row.data instanceof Uint8Array)) return `a row whose data is ${row.data === null ? 'NULL' : `a ${typeof row.data}`}, not bytes`;
  const expiresAt = Number(row.expires_at);
  if (Number.isNaN(expiresAt)) return `a row whose expires_at is not a number`;
  return { data: row.data, expiresAt, version: String(row.version) };
}

/** A whole number of milliseconds for the BIGINT column, rounded up so a row never expires early. */
export function epochMs(expiresAt: number): number {
  return Math.ceil(expiresAt);
}

/**
 * A random version token of 48 bits (a safe integer in every driver, and a JavaScript
 * number in D1's results), never 0, different from `previous`. Web Crypto, so that it
 * runs in workerd as in Node.
 */
export function newVersion(previous?: string): number {
  const parts = new Uint16Array(3);
  let version: number;
  do {
    crypto.getRandomValues(parts);
    version = parts[0]! * 2 ** 32 + parts[1]! * 2 ** 16 + parts[2]!;
  } while (version === 0 || String(version) === previous);
  return version;
}
