/**
 * cleanupSessions on DynamoDB (dynalite) over more items than one Scan page (1000 items
 * evaluated): a run in small batches must remove every expired item and keep every live
 * one, and, because each limited sweep resumes where the last one stopped, scan the table
 * about once in all, not once per batch.
 */
import { DynamoDBClient, type ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, expect, it } from 'vitest';
import { cleanupSessions } from '../../src/index.js';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.js';
import { DYNALITE_REQUIRES, startDynalite } from '../servers/dynalite.js';
import { describeWithServer } from '../servers/suite.js';

const LIVE = 1500;
const EXPIRED = 700;
const BATCH = 150;

describeWithServer('cleanupSessions on dynalite, several Scan pages', { requires: DYNALITE_REQUIRES, start: () => startDynalite() }, (server) => {
  let client: DynamoDBClient | undefined;
  afterAll(() => client?.destroy());

  it(`removes ${EXPIRED} expired items among ${LIVE} live ones in batches of ${BATCH}, scanning the table about once`, async () => {
    await server().createTable({
      TableName: 'paged',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    client = new DynamoDBClient({ endpoint: server().endpoint, region: server().region, credentials: server().credentials });
    const store = new DynamoDBStore({ client, table: 'paged' });
    const data = new Uint8Array(16);
    const keys = Array.from({ length: LIVE + EXPIRED }, (_, i) => `session:${i}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key, j) => store.set(key, { data, expiresAt: (i + j) % 3 === 0 && (i + j) / 3 < EXPIRED ? Date.now() - 1000 : Date.now() + 3_600_000 })));
    }
    expect(await store.countExpired()).toBe(EXPIRED);

    // Scan pages the store asks for, and the items each evaluates.
    const send = client.send.bind(client) as (command: unknown, options?: unknown) => Promise<{ ScannedCount?: number }>;
    let scanned = 0;
    client.send = (async (command: unknown, options?: unknown) => {
      const result = await send(command, options);
      if ((command as ScanCommand).constructor.name === 'ScanCommand') scanned += result.ScannedCount ?? 0;
      return result;
    }) as typeof client.send;

    const summary = await cleanupSessions(store, { batchSize: BATCH });
    const evaluated = scanned;
    expect(summary).toMatchObject({ removed: EXPIRED, batches: Math.ceil(EXPIRED / BATCH) });
    expect(await store.countExpired()).toBe(0);
    // One pass is LIVE + EXPIRED items, plus at most the rest of a Scan page per batch; each batch
    // scanning again from the start of the table would evaluate several times that.
    expect(evaluated).toBeGreaterThanOrEqual(LIVE + EXPIRED);
    expect(evaluated).toBeLessThanOrEqual(2 * (LIVE + EXPIRED));
    if (process.env.SESSIONKIT_REPORT_TIMINGS) console.info(`dynamodb: ${summary.batches} batches of ${BATCH} evaluated ${evaluated} items of a table of ${LIVE + EXPIRED}`);
  }, 120_000);
});
