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
  /** The store's own operation runner: table set-up, timeout and error wrapping. */
  run<T>(action: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

export async function sweepExpired(target: SweepTarget): Promise<number> {
  const { client, lib, table, partitionKey } = target;
  let removed = 0;
  let startKey: Item | undefined;
  do {
    const scan = new lib.ScanCommand({
      TableName: table,
      ProjectionExpression: '#pk',
      FilterExpression: '#e <= :now',
      ExpressionAttributeNames: { '#pk': partitionKey, '#e': 'expiresAt' },
      ExpressionAttributeValues: { ':now': number(Date.now()) },
      Limit: SCAN_PAGE_ITEMS,
      ExclusiveStartKey: startKey,
    });
    const page = await target.run('sweep (scan)', (abortSignal) => client.send(scan, { abortSignal }));
    const keys = page.Items ?? [];
    for (let i = 0; i < keys.length; i += BATCH_SIZE) removed += await deleteBatch(target, keys.slice(i, i + BATCH_SIZE));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return removed;
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
