/** A table row as a record, and the values a write puts in one. */
import { randomInt } from 'node:crypto';
import type { StoreRecord } from '../../core/store.js';

/**
 * The record in a row, or a description of what was found instead. SQLite's columns take
 * any type: a row another program wrote with TEXT in `data` is not a session of ours.
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

/** A random version token of 48 bits (a safe integer in every driver), different from `previous`. */
export function newVersion(previous?: string): number {
  let version: number;
  do version = randomInt(1, 2 ** 48);
  while (String(version) === previous);
  return version;
}
