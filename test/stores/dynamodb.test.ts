import { DynamoDBClient, ScanCommand, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/store.js';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeOutages } from '../conformance/outage-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { DYNALITE_REQUIRES, startDynalite, type DynaliteServer } from '../servers/dynalite.js';
import { describeWithServer } from '../servers/suite.js';

const quiet = { warn: () => {}, info: () => {} };
const record = (text = 'x', expiresAt = Date.now() + 60_000) => ({ data: new TextEncoder().encode(text), expiresAt });

const clients: DynamoDBClient[] = [];
afterAll(() => {
  for (const client of clients) client.destroy();
});

/** An SDK client for the harness's dynalite, with the short socket timeouts the store's docs recommend. */
function clientFor(dynamo: DynaliteServer, config: Partial<DynamoDBClientConfig> = {}): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: dynamo.region,
    credentials: dynamo.credentials,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 200, requestTimeout: 400, throwOnRequestTimeout: true },
    ...config,
  });
  clients.push(client);
  return client;
}

let tables = 0;
const tableName = (label: string) => `sessions_${label}_${process.pid}_${tables++}`;

async function createTable(dynamo: DynaliteServer, TableName: string, partitionKey = 'id'): Promise<void> {
  await dynamo.createTable({
    TableName,
    AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
}

/** The raw item as DynamoDB holds it (JSON wire format), read without the store. */
async function rawItem(dynamo: DynaliteServer, table: string, key: string, partitionKey = 'id') {
  const { body } = await dynamo.call('GetItem', { TableName: table, Key: { [partitionKey]: { S: key } }, ConsistentRead: true });
  return (body as { Item?: Record<string, Record<string, string>> }).Item;
}

describeWithServer('dynamodb store on dynalite', { requires: DYNALITE_REQUIRES, start: () => startDynalite() }, (server) => {
  async function fixture() {
    const table = tableName('suite');
    await createTable(server(), table);
    return { store: new DynamoDBStore({ client: clientFor(server()), table }) };
  }

  describeStore('dynamodb', fixture, ['create', 'setIf', 'touch', 'deleteExpired', 'countExpired', 'keys', 'getExpired'], {
    largeValueBytes: 300 * 1024,
    // Another application's item in the same table: none of the session attributes.
    plantForeignValue: async (key, store) => {
      if (!(store instanceof DynamoDBStore)) throw new Error('the dynamodb fixture builds DynamoDBStores');
      await server().call('PutItem', { TableName: store.table, Item: { id: { S: key }, val: { S: 'flask' } } });
    },
  });
  describeSessionsOverHttp('dynamodb', fixture);

  describe('DynamoDBStore', () => {
    async function storeWithTable(options: { partitionKey?: string; ttlAttribute?: string } = {}) {
      const table = tableName('own');
      await createTable(server(), table, options.partitionKey);
      return { table, store: new DynamoDBStore({ client: clientFor(server()), table, ...options }) };
    }

    it('writes the documented item layout: key S, data B, version S, expiresAt ms, TTL in seconds rounded up', async () => {
      const { table, store } = await storeWithTable({ partitionKey: 'pk', ttlAttribute: 'ttl' });
      const expiresAt = Date.now() + 60_000 + 1; // never a whole second: the rounding shows
      const version = await store.set('session:layout', { data: new Uint8Array([0, 1, 254, 255]), expiresAt });
      const item = await rawItem(server(), table, 'session:layout', 'pk');
      expect(item).toEqual({
        pk: { S: 'session:layout' },
        data: { B: Buffer.from([0, 1, 254, 255]).toString('base64') },
        version: { S: version },
        expiresAt: { N: String(expiresAt) },
        ttl: { N: String(Math.ceil(expiresAt / 1000)) },
      });
      expect(Number(item!.ttl!.N) * 1000).toBeGreaterThanOrEqual(expiresAt);
    });

    it('touch moves only expiresAt and the TTL attribute, and keeps the version', async () => {
      const { table, store } = await storeWithTable();
      await store.set('k', record('kept'));
      const before = await rawItem(server(), table, 'k');
      const later = Date.now() + 120_000 + 500;
      await store.touch('k', later);
      const after = await rawItem(server(), table, 'k');
      expect(after).toEqual({
        ...before,
        expiresAt: { N: String(later) },
        expires: { N: String(Math.ceil(later / 1000)) },
      });
    });

    it('touch does not revive an expired item that DynamoDB has not removed yet', async () => {
      const { table, store } = await storeWithTable();
      await store.set('k', record('old', Date.now() - 1000));
      const before = await rawItem(server(), table, 'k');
      await store.touch('k', Date.now() + 60_000);
      expect(await rawItem(server(), table, 'k')).toEqual(before);
      expect(await store.get('k')).toBeUndefined();
    });

    it('reads an expired item as absent while it is still in the table (dynalite has no TTL)', async () => {
      const { table, store } = await storeWithTable();
      await store.set('k', record('x', Date.now() - 1));
      expect(await rawItem(server(), table, 'k')).toBeDefined();
      expect(await store.get('k')).toBeUndefined();
    });

    it('refuses a session over the 400 KB item limit with the size and the limit, before sending', async () => {
      const { table, store } = await storeWithTable();
      const big = { data: new Uint8Array(500 * 1024), expiresAt: Date.now() + 60_000 };
      const error = await store.set('big', big).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/\[sessionkit:dynamodb\] write refused: the session is 5\d{5} bytes .* item limit of 409600 bytes \(400 KB\)/);
      expect((error as Error).cause).toBeUndefined(); // refused here, not by the server
      await expect(store.create('big', big)).rejects.toThrow(/item limit of 409600 bytes/);
      await store.set('small', record('v'));
      const version = (await store.get('small'))!.version!;
      await expect(store.setIf('small', big, version)).rejects.toThrow(/item limit of 409600 bytes/);
      expect(await rawItem(server(), table, 'big')).toBeUndefined();
      expect(new TextDecoder().decode((await store.get('small'))!.data)).toBe('v');
    });

    it('stores a session just under the item limit', async () => {
      const { store } = await storeWithTable();
      const data = new Uint8Array(400 * 1024 - 100).fill(7);
      await store.set('edge', { data, expiresAt: Date.now() + 60_000 });
      expect((await store.get('edge'))?.data.length).toBe(data.length);
    });

    it('deleteExpired pages through the scan and deletes in batches of 25', async () => {
      const { table, store } = await storeWithTable();
      const past = Date.now() - 1000;
      // 60 small items (three batches) and 8 of 200 KB (over 1 MB: dynalite ends a scan page there).
      const small = Array.from({ length: 60 }, (_, i) => `dead${i}`);
      const large = Array.from({ length: 8 }, (_, i) => `dead-large${i}`);
      await Promise.all(small.map((key) => store.set(key, record('d', past))));
      for (const key of large) await store.set(key, { data: new Uint8Array(200 * 1024), expiresAt: past });
      await Promise.all(['live1', 'live2'].map((key) => store.set(key, record('l'))));
      expect(await store.deleteExpired()).toBe(68);
      const { body } = await server().call('Scan', { TableName: table, ProjectionExpression: 'id' });
      const left = (body as { Items: { id: { S: string } }[] }).Items.map((item) => item.id.S).sort();
      expect(left).toEqual(['live1', 'live2']);
      expect(await store.deleteExpired()).toBe(0);
    });

    it('keys follows the scan over its pages and leaves out expired items and items not in the layout', async () => {
      const { table, store } = await storeWithTable();
      // 8 live items of 200 KB: over 1 MB, so dynalite answers in two pages at least.
      const live = Array.from({ length: 8 }, (_, i) => `list:large${i}`);
      for (const key of live) await store.set(key, { data: new Uint8Array(200 * 1024), expiresAt: Date.now() + 60_000 });
      await store.set('list:expired', record('d', Date.now() - 1000));
      await store.set('other:live', record('o'));
      await server().call('PutItem', { TableName: table, Item: { id: { S: 'list:foreign' }, val: { S: 'flask' } } });
      const listed: string[] = [];
      for await (const key of store.keys('list:')) listed.push(key);
      expect(listed.sort()).toEqual(live);
      const everything: string[] = [];
      for await (const key of store.keys('')) everything.push(key);
      expect(everything.sort()).toEqual([...live, 'other:live']);
    });

    it('names the missing table and how to create it', async () => {
      const store = new DynamoDBStore({ client: clientFor(server()), table: 'no_such_table' });
      await expect(store.get('k')).rejects.toThrow(
        /\[sessionkit:dynamodb\] read failed: .*Table "no_such_table" does not exist at http:\/\/127\.0\.0\.1:\d+: create it with partition key "id" \(type S\), or pass createTable: true/,
      );
    });


    it('createTable: creates an on-demand table, waits until ACTIVE, warns once that TTL is missing', async () => {
      const table = tableName('created');
      const warnings: string[] = [];
      const store = new DynamoDBStore({
        client: clientFor(server()),
        table,
        partitionKey: 'sid',
        ttlAttribute: 'ttl',
        createTable: true,
        logger: { warn: (message) => warnings.push(message) },
      });
      // Operations right after construction wait for the table.
      await Promise.all(Array.from({ length: 5 }, (_, i) => store.set(`k${i}`, record(`v${i}`))));
      expect(new TextDecoder().decode((await store.get('k3'))!.data)).toBe('v3');
      const { body } = await server().call('DescribeTable', { TableName: table });
      const description = (body as { Table: Record<string, unknown> }).Table;
      expect(description).toMatchObject({
        TableStatus: 'ACTIVE',
        KeySchema: [{ AttributeName: 'sid', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'sid', AttributeType: 'S' }],
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/does not implement UpdateTimeToLive.*enable TTL on attribute "ttl"/);
      expect(await rawItem(server(), table, 'k3', 'sid')).toBeDefined();

      // A second store (another process) on the now existing table: no CreateTable error.
      const again = new DynamoDBStore({ client: clientFor(server()), table, partitionKey: 'sid', createTable: true, logger: quiet });
      expect(new TextDecoder().decode((await again.get('k1'))!.data)).toBe('v1');
    });

    it('createTable on an existing table with another partition key says which key it has', async () => {
      const { table } = await storeWithTable({ partitionKey: 'session_id' });
      const store = new DynamoDBStore({ client: clientFor(server()), table, createTable: true, logger: quiet });
      await expect(store.get('k')).rejects.toThrow(/has partition key "session_id", not "id"\. Set partitionKey: 'session_id'/);
    });

    it('a sweep leaves an item that was written again over its expired self since its scan (a lock, a user index)', async () => {
      const { table } = await storeWithTable();
      const other = new DynamoDBStore({ client: clientFor(server()), table });
      const client = clientFor(server());
      let rewritten = false;
      // The real client, except that the sweep's first delete waits for another process to
      // take the expired lock record again: the interleaving a sweep must survive.
      const interleaving = new Proxy(client, {
        get(target, property, receiver) {
          if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
          return async (command: Parameters<DynamoDBClient['send']>[0], options?: { abortSignal?: AbortSignal }) => {
            if (!rewritten && command.constructor.name === 'DeleteItemCommand') {
              rewritten = true;
              expect(await other.create('lock.k', record('live'))).toBe(true);
            }
            return target.send(command, options);
          };
        },
      });
      const store = new DynamoDBStore({ client: interleaving, table });
      await store.set('lock.k', record('old', Date.now() - 1000));
      await store.set('dead', record('gone', Date.now() - 1000));
      expect(await store.deleteExpired()).toBe(1);
      expect(rewritten).toBe(true);
      expect(new TextDecoder().decode((await store.get('lock.k'))!.data)).toBe('live');
      expect(await store.get('dead')).toBeUndefined();
    });

    it('a create whose first answer was lost and which the SDK retried is a success, not a collision', async () => {
      // The SDK's own retry, made to happen: the first create is sent and applied by
      // dynalite, then its answer is "lost" (a transient TimeoutError, as a request timeout
      // gives), so the SDK sends it again and the retry finds the item the first one wrote.
      const client = clientFor(server(), { maxAttempts: 2 });
      let createsSent = 0;
      client.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const input = args.input as { ConditionExpression?: string };
          if (input.ConditionExpression?.startsWith('attribute_not_exists') && ++createsSent === 1) {
            throw Object.assign(new Error('the answer to the first create was lost'), { name: 'TimeoutError' });
          }
          return result;
        },
        { step: 'deserialize', name: 'loseTheFirstCreateAnswer' },
      );
      const { table } = await storeWithTable();
      const store = new DynamoDBStore({ client, table });
      expect(await store.create('fresh', record('mine'))).toBe(true);
      expect(createsSent).toBe(2); // the SDK did retry
      expect(new TextDecoder().decode((await store.get('fresh'))!.data)).toBe('mine');
      // A live item another write put there is still a collision.
      expect(await store.create('fresh', record('theirs'))).toBe(false);
      expect(new TextDecoder().decode((await store.get('fresh'))!.data)).toBe('mine');
    });

    it('leaves the borrowed client usable', async () => {
      const client = clientFor(server());
      const { table } = await storeWithTable();
      const store = new DynamoDBStore({ client, table });
      await store.set('k', record());
      expect(await client.send(new ScanCommand({ TableName: table }))).toMatchObject({ Count: 1 });
    });
  });
});

describe('DynamoDBStore without a server', () => {
  it('asks for a client and rejects invalid names', () => {
    expect(() => new DynamoDBStore({} as never)).toThrow(/pass `client`, a DynamoDBClient/);
    const client = new DynamoDBClient({ region: 'us-east-1' });
    clients.push(client);
    expect(() => new DynamoDBStore({ client, table: 'a b' })).toThrow(/not a valid DynamoDB table name/);
    expect(() => new DynamoDBStore({ client, ttlAttribute: 'expiresAt' })).toThrow(/ttlAttribute must be/);
    expect(() => new DynamoDBStore({ client, partitionKey: 'x', ttlAttribute: 'x' })).toThrow(/must differ/);
    expect(() => new DynamoDBStore({ client, timeout: 0 })).toThrow(/timeout must be a positive number/);
  });
});

describeWithServer('dynamodb store faults', { requires: DYNALITE_REQUIRES, start: () => startDynalite() }, (server) => {
  const TABLE = 'sessions_faults';
  const variants = [
    {
      kind: 'the recommended client settings (SDK request timeout + one retry)',
      config: {},
      // The SDK's own 400 ms request timeout may answer before the store's 1000 ms.
      frozen: { read: /read (failed|did not answer)/, write: /write (failed|did not answer)/ },
    },
    { kind: 'a client without request timeouts (the store timeout decides)', config: { requestHandler: {}, maxAttempts: 3 } },
  ];
  for (const { kind, config, frozen } of variants) {
    describeOutages(
      `dynamodb (${kind})`,
      server,
      async (timeout) => {
        await createTable(server(), TABLE).catch(() => {}); // exists already after the first test
        return { store: new DynamoDBStore({ client: clientFor(server(), config), table: TABLE, timeout }), close: async () => {} };
      },
      {
        keepsData: false,
        // dynalite comes back empty: the operator's table is back, the app was not restarted.
        afterRestart: () => createTable(server(), TABLE),
        down: { read: /read failed: .*Is DynamoDB at http:\/\/127\.0\.0\.1:\d+ up/, write: /Is DynamoDB at http:\/\/127\.0\.0\.1:\d+ up/ },
        frozen,
      },
    );
  }
});
