/**
 * The version the store hands the engine: `<versionstamp>.<token>.<expiresAt>`.
 *
 * KV gives every write a new versionstamp, and `atomic().check({ key, versionstamp })` is
 * its compare-and-set: one round trip when nothing was written since the read. But a touch
 * is a write too, and the contract wants a refresh not to make a concurrent writer lose;
 * so a write that finds another versionstamp reads the entry again and goes ahead when its
 * token is still the expected one (only a touch keeps the token). The expiry lets a
 * compare-and-set on a version known to be expired skip the first attempt.
 */
import { TOKEN_BYTES } from './value.js';

export interface Version {
  readonly versionstamp: string;
  readonly token: string;
  readonly expiresAt: number;
}

const VERSION = /^([0-9a-f]{20})\.([0-9a-f]{16})\.(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|Infinity)$/;

export function tokenText(token: Uint8Array): string {
  return Array.from(token, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function formatVersion(versionstamp: string, token: Uint8Array, expiresAt: number): string {
  return `${versionstamp}.${tokenText(token)}.${String(expiresAt)}`;
}

/** The parts of a version of ours, or undefined for anything else (never sent to KV). */
export function parseVersion(version: string): Version | undefined {
  const match = VERSION.exec(version);
  if (!match || match[2]!.length !== TOKEN_BYTES * 2) return undefined;
  return { versionstamp: match[1]!, token: match[2]!, expiresAt: Number(match[3]) };
}
