/**
 * deleteExpired for Firestore: a range query on `expiresAt <= now`, `batchSize` documents
 * at a time (keys only), deleted through a BulkWriter, each delete conditional on the
 * document's updateTime from the query. A session written again since the query (create
 * replacing an expired document) is left alone. Repeats until a round finds fewer than
 * `batchSize` or removes nothing. Each query and each round of deletes is one operation
 * within the store's timeout.
 *
 * In production a TTL policy on `expiresAt` makes this unnecessary: Firestore deletes
 * expired documents itself (within about a day; reads never see them meanwhile).
 */
import type * as FirestoreLib from '@google-cloud/firestore';
import { Code, errorCode } from './errors.js';

/** Attempts at one delete that fails for a passing reason (UNAVAILABLE, ABORTED …) before the round fails. */
const DELETE_ATTEMPTS = 5;

export interface SweepTarget {
  readonly client: FirestoreLib.Firestore;
  readonly collection: FirestoreLib.CollectionReference;
  readonly batchSize: number;
  /** The store's own operation runner: timeout and error wrapping. */
  run<T>(action: string, operation: () => Promise<T>): Promise<T>;
}

/** Deletes expired documents, at most `limit`, in rounds of at most `batchSize`. */
export async function sweepExpired(target: SweepTarget, limit = Infinity): Promise<number> {
  let removed = 0;
  for (;;) {
    const size = Math.min(target.batchSize, limit - removed);
    const query = expiredNow(target.collection).orderBy('expiresAt').limit(size).select();
    const page = await target.run('sweep (query)', () => query.get());
    if (page.empty) return removed;
    const deleted = await target.run('sweep (delete)', () => deleteAll(target.client, page.docs));
    removed += deleted;
    if (page.size < size || deleted === 0 || removed >= limit) return removed;
  }
}

/** The documents deleteExpired would remove now: one count aggregation on the same range. */
export async function countExpired(target: Pick<SweepTarget, 'collection' | 'run'>): Promise<number> {
  const snapshot = await target.run('count (aggregation query)', () => expiredNow(target.collection).count().get());
  return snapshot.data().count;
}

function expiredNow(collection: FirestoreLib.CollectionReference): FirestoreLib.Query {
  return collection.where('expiresAt', '<=', new Date());
}

/** Deletes the documents that were not written since they were read; resolves how many it deleted. */
async function deleteAll(client: FirestoreLib.Firestore, docs: readonly FirestoreLib.QueryDocumentSnapshot[]): Promise<number> {
  const writer = client.bulkWriter();
  // A failed precondition means "written again since": never retried. Passing faults are.
  writer.onWriteError((error) => {
    const code = errorCode(error);
    return code !== Code.FAILED_PRECONDITION && code !== Code.NOT_FOUND && error.failedAttempts < DELETE_ATTEMPTS;
  });
  const outcomes = docs.map((doc) =>
    writer.delete(doc.ref, { lastUpdateTime: doc.updateTime }).then(
      () => 1,
      (error: unknown) => {
        const code = errorCode(error);
        if (code === Code.FAILED_PRECONDITION || code === Code.NOT_FOUND) return 0;
        throw error;
      },
    ),
  );
  const [counts] = await Promise.all([Promise.all(outcomes), writer.close()]);
  return counts.reduce((sum, count) => sum + count, 0);
}
