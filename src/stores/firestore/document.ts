/**
 * One session as one Firestore document in the store's collection:
 *
 *   document id   the store key itself; a key that cannot be a document id (contains '/',
 *                 is '.', '..' or __…__, is over 1500 bytes, is not well-formed Unicode) or
 *                 that starts with '~' becomes '~' + SHA-256 of the key (base64url), so an
 *                 id never stands for two keys
 *   key           string     the store key (what the id stands for)
 *   data          bytes      the serialized session
 *   expiresAt     timestamp  the expiry: checked on every read; a TTL policy on it lets
 *                            Firestore delete expired documents in production
 *   version       string     random token, new on every write of data (not on touch)
 *
 * The version the engine holds is `<token>.<updateTime seconds>.<nanos>.<expiresAt ms>`:
 * the token says whose write it is, the document's updateTime makes compare-and-set one
 * precondition write, and the expiry lets setIf refuse a session that expired meanwhile.
 */
import { createHash, randomBytes } from 'node:crypto';
import type * as FirestoreLib from '@google-cloud/firestore';
import type { StoreRecord } from '../../core/store.js';

/** Firestore's largest document id, in UTF-8 bytes. */
const MAX_ID_BYTES = 1500;
/** The fields of the layout. */
export const LAYOUT_FIELDS = ['key', 'data', 'expiresAt', 'version'] as const;

/** The document id for a store key. */
export function documentId(key: string): string {
  const usable =
    key !== '' &&
    key !== '.' &&
    key !== '..' &&
    !key.includes('/') &&
    !key.startsWith('~') &&
    !/^__.*__$/s.test(key) &&
    Buffer.byteLength(key) <= MAX_ID_BYTES &&
    Buffer.from(key).toString() === key; // no lone surrogate (well-formed UTF-16)
  return usable ? key : `~${createHash('sha256').update(key).digest('base64url')}`;
}

/** What the store writes for a record: every field of the layout. */
export function toFields(key: string, record: StoreRecord, token: string): Record<(typeof LAYOUT_FIELDS)[number], unknown> {
  return { key, data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength), expiresAt: new Date(record.expiresAt), version: token };
}

export function newToken(): string {
  return randomBytes(9).toString('base64url');
}

interface Stored {
  data: Uint8Array;
  expiresAt: number;
  token: string;
}

/** The stored session in a document's fields, or the names of the layout's fields it lacks when it is not ours. */
export function fromFields(fields: FirestoreLib.DocumentData | undefined): Stored | string[] {
  const data: unknown = fields?.data;
  const expiresAt: unknown = fields?.expiresAt;
  const token: unknown = fields?.version;
  const isBytes = data instanceof Uint8Array;
  const isTime = typeof (expiresAt as { toMillis?: unknown } | undefined)?.toMillis === 'function';
  const isToken = typeof token === 'string' && token !== '';
  if (isBytes && isTime && isToken) return { data, expiresAt: (expiresAt as FirestoreLib.Timestamp).toMillis(), token };
  const present = { key: true, data: isBytes, expiresAt: isTime, version: isToken };
  return LAYOUT_FIELDS.filter((name) => !present[name]);
}

export interface ParsedVersion {
  token: string;
  seconds: number;
  nanoseconds: number;
  expiresAt: number;
}

export function formatVersion(token: string, updateTime: FirestoreLib.Timestamp, expiresAt: number): string {
  return `${token}.${updateTime.seconds}.${updateTime.nanoseconds}.${expiresAt}`;
}

/** The parts of a version this store returned; undefined for anything else. */
export function parseVersion(version: string): ParsedVersion | undefined {
  const match = /^([A-Za-z0-9_-]+)\.(\d+)\.(\d+)\.(-?\d+)$/.exec(version);
  if (!match) return undefined;
  const [seconds, nanoseconds, expiresAt] = [Number(match[2]), Number(match[3]), Number(match[4])];
  if (!Number.isSafeInteger(seconds) || nanoseconds > 999_999_999 || !Number.isSafeInteger(expiresAt)) return undefined;
  return { token: match[1]!, seconds, nanoseconds, expiresAt };
}
