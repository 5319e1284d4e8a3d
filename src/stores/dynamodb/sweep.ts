/**
 * deleteExpired for DynamoDB: scan the whole table page by page and delete expired items
 * in batches of 25. On real DynamoDB this is a full-table scan, paid for by every item
 * read: enable the table's native TTL instead and call it only where TTL is missing
 * (emulators). Expired items are never written again (session ids are random), so a
 * batch delete without a condition cannot remove a live session.
 */
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import { StoreError } from '../../core/store.js';
import { number, type Item } from './item.js';

/** BatchWriteItem's maximum number of requests. */
const BATCH_SIZE = 25;
/** Items evaluated per Scan page, so one page is a bounded request. */
const SCAN_PAGE_ITEMS = 1000;
/** Attempts at a batch whose items come back unprocessed (throttling) before giving up. */
const BATCH_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    for (let i = 0; i < keys.length; i += BATCH_SIZE) removed += await deleteBatch(target, keys.slice(i, i + BATCH_SIZE));
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

/** Deletes up to 25 keys, retrying the ones DynamoDB leaves unprocessed (throttling) with backoff. */
async function deleteBatch(target: SweepTarget, keys: Item[]): Promise<number> {
  const { client, lib, table } = target;
  let requests: DynamoDB.WriteRequest[] = keys.map((Key) => ({ DeleteRequest: { Key } }));
  for (let attempt = 1; ; attempt++) {
    const batch = new lib.BatchWriteItemCommand({ RequestItems: { [table]: requests } });
    const { UnprocessedItems: unprocessed } = await target.run('sweep (batch delete)', (abortSignal) => client.send(batch, { abortSignal }));
    const left = unprocessed?.[table] ?? [];
    if (left.length === 0) return keys.length;
    if (attempt === BATCH_ATTEMPTS) {
      throw new StoreError(
        target.storeName,
        `deleteExpired: ${left.length} expired items were still unprocessed after ${BATCH_ATTEMPTS} attempts (table "${table}" is throttled). Run it again later, or rely on the table's TTL.`,
      );
    }
    requests = left;
    await sleep(Math.min(50 * 2 ** attempt, 2000));
  }
}
