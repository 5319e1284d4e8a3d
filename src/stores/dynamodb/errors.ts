/** What a failed DynamoDB operation tells the user: the item limit, a missing table, or where to look. */
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import { StoreError } from '../../core/store.js';
import { ITEM_LIMIT_BYTES } from './item.js';

export const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

export interface ErrorContext {
  readonly storeName: string;
  readonly table: string;
  readonly partitionKey: string;
  /** Where the client sends requests (see describeEndpoint). */
  where(): Promise<string>;
}

/** The remedy for `error`, or a whole StoreError when DynamoDB refused an item as too large. */
export async function remedyFor(context: ErrorContext, action: string, error: unknown, itemBytes?: number): Promise<StoreError | string> {
  const name = errorName(error);
  if (name === 'ValidationException' && itemBytes !== undefined && /item size/i.test((error as Error).message)) {
    return tooLarge(context.storeName, action, itemBytes, error);
  }
  const where = await context.where();
  return name === 'ResourceNotFoundException'
    ? `Table "${context.table}" does not exist at ${where}: create it with partition key "${context.partitionKey}" (type S), or pass createTable: true.`
    : `Is DynamoDB at ${where} up and reachable, with table "${context.table}", and are the client's credentials allowed to use it?`;
}

/** The item-size error: found before sending, or (`cause`) DynamoDB's own ValidationException. */
export function tooLarge(storeName: string, action: string, bytes: number, cause?: unknown): StoreError {
  const size = cause
    ? `DynamoDB refused the session (${bytes} bytes as an item by sessionkit's count) as over its item limit`
    : `the session is ${bytes} bytes as a DynamoDB item, over DynamoDB's item limit`;
  return new StoreError(
    storeName,
    `${action} refused: ${size} of ${ITEM_LIMIT_BYTES} bytes (400 KB). Keep large data out of the session (store it elsewhere and keep its id), or use another store.`,
    { cause },
  );
}

/** Where the client sends requests, for error messages: its endpoint, or its region on AWS. */
export async function describeEndpoint(client: DynamoDB.DynamoDBClient): Promise<string> {
  try {
    const endpoint = await client.config.endpoint?.();
    if (endpoint) return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}`;
    return `region ${await client.config.region()}`;
  } catch {
    return "the client's endpoint";
  }
}
