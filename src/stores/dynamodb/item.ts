/**
 * One session as one DynamoDB item:
 *
 *   <partitionKey> S   the store key (default attribute name 'id')
 *   data           B   the serialized session
 *   version        S   random token, new on every write (compare-and-set)
 *   expiresAt      N   expiry in epoch milliseconds: checked on every read
 *   <ttlAttribute> N   expiry in epoch SECONDS rounded up, for DynamoDB's native TTL (default 'expires')
 */
import { randomBytes } from 'node:crypto';
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import type { StoreRecord } from '../../core/store.js';

export type Item = Record<string, DynamoDB.AttributeValue>;

/** DynamoDB's maximum item size: attribute names plus values. */
export const ITEM_LIMIT_BYTES = 400 * 1024;
/** The attributes of the layout itself, which the key and TTL attributes may not reuse. */
export const LAYOUT_ATTRIBUTES = ['data', 'version', 'expiresAt'];

export function toItem(names: { partitionKey: string; ttlAttribute: string }, key: string, record: StoreRecord, version: string): Item {
  return {
    [names.partitionKey]: { S: key },
    data: { B: record.data },
    version: { S: version },
    expiresAt: number(record.expiresAt),
    [names.ttlAttribute]: ttlSeconds(record.expiresAt),
  };
}

/** The record in an item, or the names of the layout's attributes it lacks when it is not ours. */
export function fromItem(item: Item): StoreRecord | string[] {
  const data = item.data?.B;
  const expiresAt = Number(item.expiresAt?.N);
  const version = item.version?.S;
  if (data && Number.isFinite(expiresAt) && version !== undefined) return { data, expiresAt, version };
  const present = { data: data !== undefined, version: version !== undefined, expiresAt: Number.isFinite(expiresAt) };
  return LAYOUT_ATTRIBUTES.filter((name) => !present[name as keyof typeof present]);
}

export function newVersion(): string {
  return randomBytes(8).toString('base64url');
}

export function number(value: number): DynamoDB.AttributeValue {
  return { N: String(value) };
}

/** DynamoDB's TTL is in whole seconds: round up so the item is never removed before `expiresAt`. */
export function ttlSeconds(expiresAt: number): DynamoDB.AttributeValue {
  return number(Math.ceil(expiresAt / 1000));
}

/** An item's size as DynamoDB counts it: names plus values, a number at most 1 byte per 2 digits plus 1. */
export function itemBytes(item: Item): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    total += Buffer.byteLength(name);
    if (value.S !== undefined) total += Buffer.byteLength(value.S);
    else if (value.B !== undefined) total += value.B.byteLength;
    else if (value.N !== undefined) total += Math.ceil(value.N.replace(/\D/g, '').length / 2) + 1;
  }
  return total;
}
