/**
 * One session as one MongoDB document:
 *
 *   _id        string  the store key (the engine's keyPrefix + id), as connect-mongo keys sessions
 *   data       Binary  the serialized session
 *   expiresAt  Date    the expiry: checked on every read, and the TTL index's field
 *   version    string  random token, new on every write (compare-and-set)
 */
import { randomBytes } from 'node:crypto';
import type { StoreRecord } from '../../core/store.js';

export interface SessionDocument {
  _id: string;
  data: Uint8Array;
  expiresAt: Date;
  version: string;
}

/** The TTL index the store creates on the expiry field. */
export const TTL_INDEX = { key: { expiresAt: 1 }, name: 'sessionkit_expiresAt_ttl', expireAfterSeconds: 0 } as const;

/** The fields of the layout besides _id, named in the warning about a document that is not ours. */
export const LAYOUT_FIELDS = ['data', 'expiresAt', 'version'] as const;

/** The document the store writes for `record`: the driver sends a Uint8Array as BSON Binary. */
export function toDocument(key: string, record: StoreRecord, version: string): SessionDocument {
  return { _id: key, data: record.data, expiresAt: new Date(record.expiresAt), version };
}

/** The fields a replacement or `$set` writes: everything but the immutable _id. */
export function fieldsOf(record: StoreRecord, version: string): Omit<SessionDocument, '_id'> {
  return { data: record.data, expiresAt: new Date(record.expiresAt), version };
}

/**
 * The record in a document, or the names of the layout fields it lacks (or holds with
 * another type) when it is not ours. `data` comes back from the driver as a BSON Binary
 * (or a Buffer with the client's promoteBuffers option).
 */
export function fromDocument(document: Readonly<Record<string, unknown>>): StoreRecord | string[] {
  const data = bytesOf(document.data);
  const expiresAt = document.expiresAt instanceof Date ? document.expiresAt.getTime() : Number.NaN;
  const version = typeof document.version === 'string' ? document.version : undefined;
  if (data && Number.isFinite(expiresAt) && version !== undefined) return { data, expiresAt, version };
  const present = { data: data !== undefined, expiresAt: Number.isFinite(expiresAt), version: version !== undefined };
  return LAYOUT_FIELDS.filter((field) => !present[field]);
}

/** A BSON Binary's bytes (told apart by its `_bsontype`, so no bson import is needed), or a Uint8Array as it is. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const binary = value as { _bsontype?: unknown; value?: unknown };
  if (binary._bsontype !== 'Binary' || typeof binary.value !== 'function') return undefined;
  const bytes: unknown = (binary.value as () => unknown).call(value);
  return bytes instanceof Uint8Array ? bytes : undefined;
}

export function newVersion(): string {
  return randomBytes(8).toString('base64url');
}

/**
 * True for MongoDB's duplicate-key error on `_id` (code 11000 naming the `_id_` index):
 * the one answer to an insert that means "a document with this key exists". A code 11000
 * that names no `_id` key (a unique index of someone else's, or a server that reports every
 * failed insert as 11000) is a failure, not a taken key.
 */
export function isDuplicateIdError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, keyPattern, message } = error as { code?: unknown; keyPattern?: unknown; message?: unknown };
  if (code !== 11000 && code !== 11001) return false;
  if (typeof keyPattern === 'object' && keyPattern !== null) return Object.keys(keyPattern).join() === '_id';
  return typeof message === 'string' && /index: _id_ /.test(message);
}
