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
   * Where the last sweep with a limit stopped (the store keeps it between calls): the next
   * one resumes there instead of scanning the live items before it again, so a sweep in
   * bounded batches costs about one pass over the table rather than one per batch.
   */
  readonly position: { resumeKey?: Item | undefined };
  /** The store's own operation runner: table set-up, timeout and error wrapping. */
  run<T>(action: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

/**
 * Deletes expired items, at most `limit`. A sweep with a limit starts where the previous
 * one stopped; when it started there and reaches the end of the table, it goes on from the
 * beginning, so a sweep that resolves fewer than `limit` has looked at every item.
 */
export async function sweepExpired(target: SweepTarget, limit = Infinity): Promise<number> {
  let removed = 0;
  let startKey = Number.isFinite(limit) ? target.position.resumeKey : undefined;
  let wrapAround = startKey !== undefined;
  target.position.resumeKey = undefined;
  for (;;) {
    const page = await scanExpired(target, startKey, { ProjectionExpression: '#pk', ExpressionAttributeNames: { '#pk': target.partitionKey } });
    const items = page.Items ?? [];
    const keys = items.slice(0, limit - removed);
    for (let i = 0; i < keys.length; i += BATCH_SIZE) removed += await deleteBatch(target, keys.slice(i, i + BATCH_SIZE));
    if (removed >= limit) {
      // The rest of this page (if any) is looked at again next time; its deleted items are gone.
      target.position.resumeKey = keys.length === items.length ? page.LastEvaluatedKey : startKey;
      return removed;
    }
    startKey = page.LastEvaluatedKey;
    if (startKey) continue;
    if (!wrapAround) return removed;
    wrapAround = false;
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
