/**
 * deleteExpired for DynamoDB: scan the whole table page by page and delete expired items
 * in batches of 25. On real DynamoDB this is a full-table scan, paid for by every item
 * read: enable the table's native TTL instead and call it only where TTL is missing
 * (emulators). Each delete is conditional on the item still being expired: locks and user
 * indexes are written again over their expired selves, and a sweep that found one expired
 * must not remove it once it is live again. (BatchWriteItem takes no condition, so these are
 * DeleteItem calls, DELETE_CONCURRENCY at a time.)
 */
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import { errorName } from './errors.js';
import { number, type Item } from './item.js';

/** Conditional deletes in flight at once. */
const DELETE_CONCURRENCY = 25;
/** Items evaluated per Scan page, so one page is a bounded request. */
export const SCAN_PAGE_ITEMS = 1000;

export interface SweepTarget {
  readonly storeName: string;
  readonly client: DynamoDB.DynamoDBClient;
  readonly lib: typeof DynamoDB;
  readonly table: string;
  readonly partitionKey: string;
  /**
   * Where the last sweep with a limit stopped, and when (the store keeps it between calls):
   * the next one, if it follows within RESUME_WITHIN_MS, resumes there instead of scanning
   * the live items before it again, so a run of bounded batches is about one pass over the
   * table rather than one per batch.
   */
  readonly position: { resumeKey?: Item | undefined; at?: number | undefined };
  /** The store's own operation runner: table set-up, timeout and error wrapping. */
  run<T>(action: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/**
 * A limited sweep that follows the last one within this long continues its pass over the
 * table; a later one (the next cron run) starts a pass of its own at the beginning.
 */
const RESUME_WITHIN_MS = 60_000;

/**
 * Deletes expired items, at most `limit`. Sweeps with a limit that follow each other
 * closely make one pass over the table together: each resumes after the last item the
 * previous one deleted (re-reading at most the rest of its Scan page), and the one that
 * reaches the end of the table, resolving fewer than `limit`, ends the pass.
 */
export async function sweepExpired(target: SweepTarget, limit = Infinity): Promise<number> {
  const { position } = target;
  const resume = Number.isFinite(limit) && position.at !== undefined && Date.now() - position.at < RESUME_WITHIN_MS;
  let startKey = resume ? position.resumeKey : undefined;
  position.resumeKey = undefined;
  position.at = undefined;
  let removed = 0;
  for (;;) {
    const page = await scanExpired(target, startKey, { ProjectionExpression: '#pk', ExpressionAttributeNames: { '#pk': target.partitionKey } });
    const items = page.Items ?? [];
    const keys = items.slice(0, limit - removed);
    for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) removed += await deleteStillExpired(target, keys.slice(i, i + DELETE_CONCURRENCY));
    if (removed >= limit) {
      // The next sweep starts after the last item deleted here (a Scan position need not be a live item).
      position.resumeKey = keys.length === items.length ? page.LastEvaluatedKey : keys[keys.length - 1];
      position.at = Date.now();
      return removed;
    }
    startKey = page.LastEvaluatedKey;
    if (!startKey) return removed;
  }
}

/** The expired items deleteExpired would remove: the same scan, counted by DynamoDB (Select COUNT). */
export async function countExpired(target: SweepTarget): Promise<number> {
  let expired = 0;
  let startKey: Item | undefined;
  do {
    const page = await scanExpired(target, startKey, { Select: 'COUNT' });
    expired += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return expired;
}

/** One Scan page of the items expired now, with `extra` saying what to return of them. */
function scanExpired(
  target: SweepTarget,
  startKey: Item | undefined,
  extra: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string>; Select?: 'COUNT' },
): Promise<DynamoDB.ScanCommandOutput> {
  const scan = new target.lib.ScanCommand({
    TableName: target.table,
    FilterExpression: '#e <= :now',
    ...extra,
    ExpressionAttributeNames: { '#e': 'expiresAt', ...extra.ExpressionAttributeNames },
    ExpressionAttributeValues: { ':now': number(Date.now()) },
    Limit: SCAN_PAGE_ITEMS,
    ExclusiveStartKey: startKey,
  });
  return target.run(extra.Select ? 'count (scan)' : 'sweep (scan)', (abortSignal) => target.client.send(scan, { abortSignal }));
}

/** Deletes each of `keys` whose item is still expired; resolves how many went. */
async function deleteStillExpired(target: SweepTarget, keys: Item[]): Promise<number> {
  const { client, lib, table } = target;
  const deleted = await Promise.all(
    keys.map((Key) =>
      target.run('sweep (delete)', async (abortSignal) => {
        const command = new lib.DeleteItemCommand({
          TableName: table,
          Key,
          ConditionExpression: '#e <= :now',
          ExpressionAttributeNames: { '#e': 'expiresAt' },
          ExpressionAttributeValues: { ':now': number(Date.now()) },
        });
        try {
          await client.send(command, { abortSignal });
          return true;
        } catch (error) {
          // Live again (written over its expired self since the scan), or gone already.
          if (errorName(error) === 'ConditionalCheckFailedException') return false;
          throw error;
        }
      }),
    ),
  );
  return deleted.filter(Boolean).length;
}
