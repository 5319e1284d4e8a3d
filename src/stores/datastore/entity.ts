/**
 * One session as one Datastore entity, keyed by name = the store key (kind and namespace
 * from the options):
 *
 *   data       blob       the serialized session; excluded from indexes (it may be up to 1 MiB)
 *   expiresAt  timestamp  the expiry; indexed, for deleteExpired's query (and for a TTL policy
 *                          on Firestore in Datastore mode). Checked on every read.
 *   version    string     random token, new on every write (compare-and-set); not indexed
 */
import { randomBytes } from 'node:crypto';
import type { StoreRecord } from '../../core/store.js';

/** The properties of the layout. */
export const LAYOUT_PROPERTIES = ['data', 'expiresAt', 'version'] as const;
/** The properties no query needs: kept out of the indexes (a blob over 1500 bytes must be). */
export const UNINDEXED = ['data', 'version'];

export interface SessionProperties {
  data: Buffer;
  expiresAt: Date;
  version: string;
}

export function toProperties(record: StoreRecord, version: string): SessionProperties {
  // A Buffer, not a bare Uint8Array: the SDK stores only Buffers as blobs (a Uint8Array would become an embedded entity).
  const data = Buffer.isBuffer(record.data) ? record.data : Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength);
  return { data, expiresAt: new Date(record.expiresAt), version };
}

/** The record in an entity's properties, or the names of the layout's properties it lacks (or has in another type). */
export function fromProperties(properties: Record<string, unknown>): StoreRecord | string[] {
  const { data, expiresAt, version } = properties;
  const present = {
    data: Buffer.isBuffer(data),
    expiresAt: expiresAt instanceof Date && Number.isFinite(expiresAt.getTime()),
    version: typeof version === 'string',
  };
  if (present.data && present.expiresAt && present.version) {
    return { data: data as Buffer, expiresAt: (expiresAt as Date).getTime(), version: version as string };
  }
  return LAYOUT_PROPERTIES.filter((name) => !present[name]);
}

export function newVersion(): string {
  return randomBytes(8).toString('base64url');
}
