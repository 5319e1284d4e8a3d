/**
 * keys(prefix) for DynamoDB: a Scan of the whole table, page by page, returning only the
 * key attribute of the live items under the prefix. The filter is applied after the read:
 * every page still costs the read capacity of every item it went through (whole items,
 * whatever the projection), so a listing costs about what a sweep's scan costs.
 */
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import { number, type Item } from './item.js';
import { SCAN_PAGE_ITEMS, type SweepTarget } from './sweep.js';

/** The keys of the live items that start with `prefix`, one Scan request per page. */
export async function* liveKeys(target: SweepTarget, prefix: string): AsyncIterable<string> {
  let startKey: Item | undefined;
  do {
    const page = await scanLive(target, prefix, startKey);
    for (const item of page.Items ?? []) {
      const key = item[target.partitionKey]?.S;
      if (key !== undefined) yield key;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

function scanLive(target: SweepTarget, prefix: string, startKey: Item | undefined): Promise<DynamoDB.ScanCommandOutput> {
  // An item without our layout has no expiresAt, so the comparison leaves it out too.
  // Every key starts with the empty prefix: no condition (and no empty value) then.
  const underPrefix = prefix === '' ? '' : ' AND begins_with(#pk, :prefix)';
  const scan = new target.lib.ScanCommand({
    TableName: target.table,
    FilterExpression: `#e > :now${underPrefix}`,
    ProjectionExpression: '#pk',
    ExpressionAttributeNames: { '#e': 'expiresAt', '#pk': target.partitionKey },
    ExpressionAttributeValues: { ':now': number(Date.now()), ...(prefix === '' ? {} : { ':prefix': { S: prefix } }) },
    // Consistent, as the store's reads are: a listing right after a write or a clear sees it.
    ConsistentRead: true,
    Limit: SCAN_PAGE_ITEMS,
    ExclusiveStartKey: startKey,
  });
  return target.run('list (scan)', (abortSignal) => target.client.send(scan, { abortSignal }));
}
