/**
 * How a sessionkit record lives inside an express-session store: as a session object
 * that every such store can keep (JSON), with our bytes intact in base64 and a `cookie`
 * field from which the store derives its own TTL.
 */
import { createHash } from 'node:crypto';
import type { StoreRecord } from '../core/store.js';
import type { ConnectSession } from './connect-store.js';

/** The field of the stored session that holds sessionkit's record. */
export const RECORD_FIELD = 'sessionkit';
const FORMAT_VERSION = 1;

/** Default longest id handed to the store; longer keys (or keys with other characters) are hashed. */
export const DEFAULT_MAX_ID_LENGTH = 128;
/** The shortest allowed: the hashed form keeps at least 132 bits of SHA-256 (22 base64url characters). */
export const MIN_MAX_ID_LENGTH = 24;

/** Characters every store keeps as they are in an id (a file name, a Redis key, a SQL varchar). */
const SAFE_ID = /^[A-Za-z0-9_:-]+$/;

/**
 * The id under which a sessionkit key is stored: the key itself when it is short enough and
 * made of safe characters, otherwise `h.` and its SHA-256 (base64url) cut to `maxIdLength`.
 * A hashed id contains a `.`, which a kept key never does, so the two can never meet; the
 * record also names its key, and a read checks it.
 */
export function connectStoreId(key: string, maxIdLength = DEFAULT_MAX_ID_LENGTH): string {
  if (key.length <= maxIdLength && SAFE_ID.test(key)) return key;
  return `h.${createHash('sha256').update(key).digest('base64url').slice(0, maxIdLength - 2)}`;
}

interface StoredRecord {
  v: number;
  key: string;
  data: string;
  expiresAt: number;
}

/** The session object written for `record` under `key`, `now` being the time of the write. */
export function toConnectSession(key: string, record: StoreRecord, now = Date.now()): ConnectSession & { [RECORD_FIELD]: unknown } {
  const remainingMs = Math.max(0, record.expiresAt - now);
  const stored: StoredRecord = { v: FORMAT_VERSION, key, data: Buffer.from(record.data).toString('base64'), expiresAt: record.expiresAt };
  return {
    // What the stores read their TTL from: connect-redis and connect-pg-simple `expires`,
    // memorystore `maxAge`, session-file-store `originalMaxAge` from its last-access time.
    cookie: { originalMaxAge: remainingMs, maxAge: remainingMs, expires: new Date(record.expiresAt).toISOString(), httpOnly: true, path: '/' },
    [RECORD_FIELD]: stored,
  };
}

/**
 * The record inside a session object read from the store, or a description of what was
 * found instead (for the warning) when it is not one of ours or belongs to another key.
 */
export function fromConnectSession(value: unknown, key: string): StoreRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
  const stored = (value as Record<string, unknown>)[RECORD_FIELD] as Partial<StoredRecord> | undefined;
  if (typeof stored !== 'object' || stored === null) return 'an express-session session that sessionkit did not write';
  if (stored.v !== FORMAT_VERSION || typeof stored.data !== 'string' || typeof stored.expiresAt !== 'number' || !Number.isFinite(stored.expiresAt)) {
    return `a sessionkit record of an unknown format (version ${String(stored.v)})`;
  }
  if (stored.key !== key) return 'the record of another key';
  return { data: new Uint8Array(Buffer.from(stored.data, 'base64')), expiresAt: stored.expiresAt };
}
