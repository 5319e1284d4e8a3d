/**
 * Table provisioning for `createTable: true`: create the table if it does not exist
 * (on-demand billing, partition key of type S), wait until it is ACTIVE, and turn on
 * native TTL. dynalite (the tests' local DynamoDB) has no UpdateTimeToLive: one warning,
 * and sessions still expire on read.
 */
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import { delay } from '../../core/delay.js';
import type { Logger } from '../../core/logger.js';
import { StoreError } from '../../core/store.js';
import { errorName } from './errors.js';

/** How long createTable waits for a new table to become ACTIVE. */
const TABLE_ACTIVE_WAIT_MS = 120_000;

/** What provisioning needs from the store. */
export interface TableSetup {
  readonly storeName: string;
  readonly client: DynamoDB.DynamoDBClient;
  readonly lib: typeof DynamoDB;
  readonly table: string;
  readonly partitionKey: string;
  readonly ttlAttribute: string;
  readonly logger: Pick<Logger, 'warn'>;
  /** Runs one step within the store's timeout; errors stay as the SDK threw them. */
  within<T>(step: string, operation: (abortSignal: AbortSignal) => Promise<T>): Promise<T>;
  /** Where the client sends requests, for messages. */
  where(): Promise<string>;
}

/** Resolves once the table exists, is ACTIVE, and has TTL on (or the server cannot have it). */
export async function setUpTable(setup: TableSetup): Promise<void> {
  const { client, lib, table: TableName, partitionKey } = setup;
  try {
    const describe = new lib.DescribeTableCommand({ TableName });
    await setup.within('describe table', (abortSignal) => client.send(describe, { abortSignal }));
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') throw error;
    try {
      const create = new lib.CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      });
      await setup.within('create table', (abortSignal) => client.send(create, { abortSignal }));
    } catch (createError) {
      // Another process created it in the meantime: wait for it like for our own.
      if (errorName(createError) !== 'ResourceInUseException') throw createError;
    }
  }
  await waitUntilActive(setup);
  await enableTtl(setup);
}

/** Polls DescribeTable (backing off to once a second) until ACTIVE, for at most two minutes. */
async function waitUntilActive(setup: TableSetup): Promise<void> {
  const deadline = Date.now() + TABLE_ACTIVE_WAIT_MS;
  for (let wait = 20; ; wait = Math.min(wait * 2, 1000)) {
    const describe = new setup.lib.DescribeTableCommand({ TableName: setup.table });
    const { Table: table } = await setup.within('describe table', (abortSignal) => setup.client.send(describe, { abortSignal }));
    const hashKey = table?.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
    if (hashKey !== undefined && hashKey !== setup.partitionKey) {
      throw new StoreError(
        setup.storeName,
        `table "${setup.table}" has partition key "${hashKey}", not "${setup.partitionKey}". Set partitionKey: '${hashKey}' or use another table.`,
      );
    }
    if (table?.TableStatus === 'ACTIVE') return;
    if (Date.now() + wait > deadline) {
      throw new StoreError(
        setup.storeName,
        `table "${setup.table}" was not ACTIVE after ${TABLE_ACTIVE_WAIT_MS / 1000} s (status ${String(table?.TableStatus)}).`,
      );
    }
    await delay(wait);
  }
}

/** Turns on native TTL for `ttlAttribute` unless it is on already. */
async function enableTtl(setup: TableSetup): Promise<void> {
  const { client, lib, table: TableName, ttlAttribute } = setup;
  const describe = new lib.DescribeTimeToLiveCommand({ TableName });
  const { TimeToLiveDescription: ttl } = await setup.within('describe TTL', (abortSignal) => client.send(describe, { abortSignal }));
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') {
    if (ttl.AttributeName !== ttlAttribute) {
      setup.logger.warn(
        `dynamodb: table "${TableName}" has TTL on attribute "${String(ttl.AttributeName)}", not on "${ttlAttribute}": DynamoDB will not remove expired sessions. Set ttlAttribute: '${String(ttl.AttributeName)}'.`,
      );
    }
    return;
  }
  try {
    const enable = new lib.UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true } });
    await setup.within('enable TTL', (abortSignal) => client.send(enable, { abortSignal }));
  } catch (error) {
    // Emulators such as dynalite lack this operation. Sessions still expire on read.
    if (errorName(error) !== 'UnknownOperationException') throw error;
    setup.logger.warn(
      `dynamodb: ${await setup.where()} does not implement UpdateTimeToLive (an emulator?), so table "${TableName}" has no native TTL there. On real DynamoDB, enable TTL on attribute "${ttlAttribute}". Expired sessions still read as absent; deleteExpired() removes them.`,
    );
  }
}
