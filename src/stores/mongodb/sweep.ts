/**
 * deleteExpired for MongoDB, where the TTL index is missing or its monitor (once a minute)
 * has not run yet: expired documents are found and deleted in batches of BATCH_SIZE ids,
 * each batch one bounded find and one deleteMany, so no single request holds the
 * collection for long. The expiry condition is repeated in the delete, so a document that
 * was written again in between (a new expiry) is kept.
 */
import type { Collection } from 'mongodb';
import type { SessionDocument } from './document.js';

export const BATCH_SIZE = 500;

export interface SweepTarget {
  readonly collection: Collection<SessionDocument>;
  /** The store's own operation runner: timeout and error wrapping. */
  run<T>(action: string, operation: () => Promise<T>): Promise<T>;
}

/** Deletes expired documents, at most `limit`, in batches of at most BATCH_SIZE. */
export async function sweepExpired(target: SweepTarget, limit = Infinity, now = new Date()): Promise<number> {
  const expired = { expiresAt: { $lte: now } };
  let removed = 0;
  for (;;) {
    const size = Math.min(BATCH_SIZE, limit - removed);
    const batch = await target.run('sweep (find)', () =>
      target.collection.find(expired, { projection: { _id: 1 }, limit: size }).toArray(),
    );
    if (batch.length === 0) return removed;
    const ids = batch.map((document) => document._id);
    const { deletedCount } = await target.run('sweep (delete)', () =>
      target.collection.deleteMany({ _id: { $in: ids }, ...expired }),
    );
    removed += deletedCount;
    if (batch.length < size || removed >= limit) return removed;
  }
}

/** The documents deleteExpired would remove now (countDocuments on the expiry index). */
export function countExpired(target: SweepTarget, now = new Date()): Promise<number> {
  return target.run('count', () => target.collection.countDocuments({ expiresAt: { $lte: now } }));
}
