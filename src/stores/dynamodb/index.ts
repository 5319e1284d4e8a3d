/**
 * Sessions in Amazon DynamoDB through the AWS SDK v3 low-level client: the seeds'
 * DynamoDB backend.
 *
 * Client: a `DynamoDBClient` from `@aws-sdk/client-dynamodb` of yours (SESSION_DYNAMODB).
 * It is borrowed: the store never destroys it. The seeds' SESSION_DYNAMODB_ENDPOINT,
 * SESSION_DYNAMODB_REGION, SESSION_DYNAMODB_KEY_ID and SESSION_DYNAMODB_SECRET are that
 * client's own settings:
 *
 *   new DynamoDBClient({
 *     endpoint,                                                   // SESSION_DYNAMODB_ENDPOINT (omit for AWS)
 *     region,                                                     // SESSION_DYNAMODB_REGION
 *     credentials: { accessKeyId, secretAccessKey },              // SESSION_DYNAMODB_KEY_ID / _SECRET
 *     maxAttempts: 2,                                             // recommended, see below
 *     requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
 *   })
 *
 * Recommended client settings: every store operation is bounded by the store's `timeout`
 * (default 5 s), and the SDK's own retries happen inside it. With the SDK defaults (3
 * attempts, no request timeout) a server that does not answer uses the whole budget in
 * the first attempt; with the settings above a hung connection is given up after 2 s and
 * retried once, within the budget (`throwOnRequestTimeout` is needed: without it the SDK
 * only logs that `requestTimeout` passed). Keep `maxAttempts × requestTimeout` below
 * `timeout`. When the time is up the store aborts the SDK request and rejects.
 *
 * Options: `table` is SESSION_DYNAMODB_TABLE (default 'sessions'); `partitionKey` (default
 * 'id') and `ttlAttribute` (default 'expires') name the key and TTL attributes of an
 * existing table; `createTable: true` creates the table; `timeout` bounds every operation.
 *
 * Item layout (one item per session):
 *   <partitionKey> S   the store key (default attribute name 'id')
 *   data           B   the serialized session
 *   version        S   random token, new on every write (compare-and-set)
 *   expiresAt      N   expiry in epoch milliseconds: checked on every read
 *   <ttlAttribute> N   expiry in epoch SECONDS rounded up, for DynamoDB's native TTL (default 'expires')
 *
 * Expiry is always enforced on read, because DynamoDB's TTL deletes expired items only
 * eventually (typically within a few days) and emulators such as dynalite do not
 * implement TTL at all. Enable TTL on the table (attribute `ttlAttribute`) so that
 * DynamoDB removes the items for free; `createTable: true` does it for a table it creates.
 *
 * Compare-and-set uses conditional writes; reads are strongly consistent so a session
 * always reads its own writes. An item may not exceed DynamoDB's limit of 400 KB, so
 * sessions larger than that are refused with a StoreError before anything is sent.
 *
 * dynalite (a local DynamoDB used by the tests) implements neither TTL nor
 * UpdateTimeToLive: with `createTable: true` the store logs one warning and goes on.
 */
import { randomBytes } from 'node:crypto';
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import type { Logger } from '../../core/logger.js';
import { StoreError, wrapStoreError, type Store, type StoreRecord } from '../../core/store.js';
import { DEFAULT_TIMEOUT_MS, loadOptional, withTimeout } from '../shared.js';

type Library = typeof DynamoDB;
type Item = Record<string, DynamoDB.AttributeValue>;

export interface DynamoDBStoreOptions {
  /** SESSION_DYNAMODB: your `DynamoDBClient` (endpoint, region and credentials are its settings). Borrowed. */
  client: DynamoDB.DynamoDBClient;
  /** SESSION_DYNAMODB_TABLE: the table. Default 'sessions'. */
  table?: string;
  /** Name of the table's partition key attribute (type S). Default 'id'. */
  partitionKey?: string;
  /** Attribute holding the expiry in epoch seconds, for DynamoDB's native TTL. Default 'expires'. */
  ttlAttribute?: string;
  /**
   * Create the table if it does not exist (on-demand billing, partition key `partitionKey`),
   * wait until it is ACTIVE and enable TTL on `ttlAttribute`. Starts when the store is
   * constructed; operations wait for it. Default false: the table must exist.
   */
  createTable?: boolean;
  /** Milliseconds one operation may take, SDK retries (and waiting for `createTable`) included. Default 5000. */
  timeout?: number;
  /** Where the store's warnings go. Default: console, prefixed '[sessionkit]'. */
  logger?: Pick<Logger, 'warn'>;
}

/** DynamoDB's maximum item size: attribute names plus values. */
const ITEM_LIMIT_BYTES = 400 * 1024;
/** BatchWriteItem's maximum number of requests. */
const BATCH_SIZE = 25;
/** Items evaluated per Scan page in deleteExpired, so one page is a bounded request. */
const SCAN_PAGE_ITEMS = 1000;
/** Attempts at a batch whose items come back unprocessed (throttling) before giving up. */
const BATCH_ATTEMPTS = 8;
/** How long createTable waits for a new table to become ACTIVE. */
const TABLE_ACTIVE_WAIT_MS = 120_000;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const LAYOUT_ATTRIBUTES = ['data', 'version', 'expiresAt'];

const consoleWarn: Pick<Logger, 'warn'> = { warn: (message) => console.warn(`[sessionkit] ${message}`) };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

/**
 * Sessions in a DynamoDB table, shared by every process that uses the table. See the
 * module comment for the client settings and the item layout.
 */
export class DynamoDBStore implements Store {
  readonly name = 'dynamodb';
  readonly table: string;
  readonly partitionKey: string;
  readonly ttlAttribute: string;
  readonly timeout: number;
  readonly #client: DynamoDB.DynamoDBClient;
  readonly #lib: Library;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #createTable: boolean;
  #tableSetup: Promise<void> | undefined;
  #warnedNoTtl = false;
  #where: Promise<string> | undefined;

  constructor(options: DynamoDBStoreOptions) {
    if (typeof options?.client?.send !== 'function') {
      throw new TypeError(
        'dynamodbStore: pass `client`, a DynamoDBClient from @aws-sdk/client-dynamodb, e.g. new DynamoDBClient({ region, endpoint, credentials }).',
      );
    }
    const table = options.table ?? 'sessions';
    if (!TABLE_NAME.test(table)) {
      throw new TypeError(`dynamodbStore: table "${table}" is not a valid DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -).`);
    }
    const partitionKey = options.partitionKey ?? 'id';
    const ttlAttribute = options.ttlAttribute ?? 'expires';
    for (const [option, value] of [['partitionKey', partitionKey], ['ttlAttribute', ttlAttribute]] as const) {
      if (typeof value !== 'string' || value === '' || LAYOUT_ATTRIBUTES.includes(value)) {
        throw new TypeError(`dynamodbStore: ${option} must be a non-empty attribute name other than ${LAYOUT_ATTRIBUTES.join(', ')}.`);
      }
    }
    if (partitionKey === ttlAttribute) throw new TypeError('dynamodbStore: partitionKey and ttlAttribute must differ.');
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!(timeout > 0) || !Number.isFinite(timeout)) {
      throw new TypeError(`dynamodbStore: timeout must be a positive number of milliseconds, got ${String(options.timeout)}.`);
    }
    this.table = table;
    this.partitionKey = partitionKey;
    this.ttlAttribute = ttlAttribute;
    this.timeout = timeout;
    this.#client = options.client;
    this.#logger = options.logger ?? consoleWarn;
    this.#createTable = options.createTable ?? false;
    // The command classes come from the library the user's client belongs to; loaded here,
    // not imported, because the SDK is an optional peer dependency.
    this.#lib = loadOptional<Library>('@aws-sdk/client-dynamodb', this.name);
    // Started now so that the first request usually finds the table ready. A failure is
    // reported (and the setup retried) by the operations that wait for it.
    this.#ensureTable()?.catch(() => {});
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    const { Item: item } = await this.#run('read', (abortSignal) =>
      this.#client.send(
        new this.#lib.GetItemCommand({ TableName: this.table, Key: this.#key(key), ConsistentRead: true }),
        { abortSignal },
      ),
    );
    if (!item) return undefined;
    const data = item.data?.B;
    const expiresAt = Number(item.expiresAt?.N);
    const version = item.version?.S;
    if (!data || !Number.isFinite(expiresAt) || version === undefined) {
      throw new StoreError(
        this.name,
        `an item in table "${this.table}" lacks sessionkit's layout (data B, version S, expiresAt N). Use a table of its own for sessions.`,
      );
    }
    return expiresAt > Date.now() ? { data, expiresAt, version } : undefined;
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const version = newVersion();
    await this.#put('write', this.#item(key, record, version));
    return version;
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    // Succeeds over an expired item that DynamoDB's TTL has not removed yet.
    return this.#put('create', this.#item(key, record, newVersion()), {
      ConditionExpression: 'attribute_not_exists(#pk) OR #e <= :now',
      ExpressionAttributeNames: { '#pk': this.partitionKey, '#e': 'expiresAt' },
      ExpressionAttributeValues: { ':now': number(Date.now()) },
    });
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    // A missing item has no version, so the condition fails and nothing is re-created.
    return this.#put('write', this.#item(key, record, newVersion()), {
      ConditionExpression: '#v = :expected AND #e > :now',
      ExpressionAttributeNames: { '#v': 'version', '#e': 'expiresAt' },
      ExpressionAttributeValues: { ':expected': { S: expectedVersion }, ':now': number(Date.now()) },
    });
  }

  async touch(key: string, expiresAt: number): Promise<void> {
    // Only the expiry attributes change: the version stays valid for a concurrent setIf.
    // An expired item is not revived.
    await this.#run('touch', (abortSignal) =>
      this.#conditional(
        this.#client.send(
          new this.#lib.UpdateItemCommand({
            TableName: this.table,
            Key: this.#key(key),
            UpdateExpression: 'SET #e = :e, #ttl = :ttl',
            ConditionExpression: 'attribute_exists(#pk) AND #e > :now',
            ExpressionAttributeNames: { '#pk': this.partitionKey, '#e': 'expiresAt', '#ttl': this.ttlAttribute },
            ExpressionAttributeValues: { ':e': number(expiresAt), ':ttl': ttlSeconds(expiresAt), ':now': number(Date.now()) },
          }),
          { abortSignal },
        ),
      ),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#run('delete', (abortSignal) =>
      this.#client.send(new this.#lib.DeleteItemCommand({ TableName: this.table, Key: this.#key(key) }), { abortSignal }),
    );
  }

  /**
   * Scans the whole table page by page and deletes expired items in batches of 25. On
   * real DynamoDB this is a full-table scan, paid for by every item read: enable the
   * table's native TTL instead and call this only where TTL is missing (emulators).
   * Expired items are never written again (session ids are random), so a batch delete
   * without a condition cannot remove a live session.
   */
  async deleteExpired(): Promise<number> {
    let removed = 0;
    let startKey: Item | undefined;
    do {
      const page = await this.#run('sweep (scan)', (abortSignal) =>
        this.#client.send(
          new this.#lib.ScanCommand({
            TableName: this.table,
            ProjectionExpression: '#pk',
            FilterExpression: '#e <= :now',
            ExpressionAttributeNames: { '#pk': this.partitionKey, '#e': 'expiresAt' },
            ExpressionAttributeValues: { ':now': number(Date.now()) },
            Limit: SCAN_PAGE_ITEMS,
            ExclusiveStartKey: startKey,
          }),
          { abortSignal },
        ),
      );
      const keys = page.Items ?? [];
      for (let i = 0; i < keys.length; i += BATCH_SIZE) removed += await this.#deleteBatch(keys.slice(i, i + BATCH_SIZE));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return removed;
  }

  /** Deletes up to 25 keys, retrying the ones DynamoDB leaves unprocessed (throttling) with backoff. */
  async #deleteBatch(keys: Item[]): Promise<number> {
    let requests: DynamoDB.WriteRequest[] = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 1; ; attempt++) {
      const { UnprocessedItems: unprocessed } = await this.#run('sweep (batch delete)', (abortSignal) =>
        this.#client.send(new this.#lib.BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }), { abortSignal }),
      );
      const left = unprocessed?.[this.table] ?? [];
      if (left.length === 0) return keys.length;
      if (attempt === BATCH_ATTEMPTS) {
        throw new StoreError(
          this.name,
          `deleteExpired: ${left.length} expired items were still unprocessed after ${BATCH_ATTEMPTS} attempts (table "${this.table}" is throttled). Run it again later, or rely on the table's TTL.`,
        );
      }
      requests = left;
      await sleep(Math.min(50 * 2 ** attempt, 2000));
    }
  }

  #key(key: string): Item {
    return { [this.partitionKey]: { S: key } };
  }

  #item(key: string, record: StoreRecord, version: string): Item {
    return {
      [this.partitionKey]: { S: key },
      data: { B: record.data },
      version: { S: version },
      expiresAt: number(record.expiresAt),
      [this.ttlAttribute]: ttlSeconds(record.expiresAt),
    };
  }

  /** PutItem, refused before sending when the item is over DynamoDB's size limit; false when its condition fails. */
  async #put(action: string, item: Item, condition?: Partial<DynamoDB.PutItemCommandInput>): Promise<boolean> {
    const bytes = itemBytes(item);
    if (bytes > ITEM_LIMIT_BYTES) throw this.#tooLarge(action, bytes);
    return this.#run(
      action,
      (abortSignal) =>
        this.#conditional(
          this.#client.send(new this.#lib.PutItemCommand({ ...condition, TableName: this.table, Item: item }), { abortSignal }),
        ),
      bytes,
    );
  }

  /** True when a conditional write was applied, false when its condition failed. */
  async #conditional(write: Promise<unknown>): Promise<boolean> {
    try {
      await write;
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * One store operation: waits for the table setup, then runs; both within `timeout`.
   * Failures are wrapped into a StoreError with a remedy.
   */
  async #run<T>(action: string, operation: (signal: AbortSignal) => Promise<T>, itemBytes?: number): Promise<T> {
    try {
      return await this.#request(action, async (signal) => {
        await this.#ensureTable();
        return operation(signal);
      });
    } catch (error) {
      throw await this.#wrap(action, error, itemBytes);
    }
  }

  /** One SDK call bounded by `timeout`: the request is aborted when the time is up. Errors stay raw. */
  async #request<T>(action: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    try {
      return await withTimeout(operation(controller.signal), this.timeout, this.name, action);
    } catch (error) {
      controller.abort();
      throw error;
    }
  }

  async #wrap(action: string, error: unknown, itemBytes?: number): Promise<StoreError> {
    if (error instanceof StoreError) return error;
    const name = errorName(error);
    if (name === 'ValidationException' && itemBytes !== undefined && /item size/i.test((error as Error).message)) {
      return this.#tooLarge(action, itemBytes, error);
    }
    const where = await this.#describeEndpoint();
    const remedy =
      name === 'ResourceNotFoundException'
        ? `Table "${this.table}" does not exist at ${where}: create it with partition key "${this.partitionKey}" (type S), or pass createTable: true.`
        : `Is DynamoDB at ${where} up and reachable, with table "${this.table}", and are the client's credentials allowed to use it?`;
    return wrapStoreError(this.name, action, remedy, error);
  }

  /** The item-size error: found before sending, or (`cause`) DynamoDB's own ValidationException. */
  #tooLarge(action: string, bytes: number, cause?: unknown): StoreError {
    const size = cause
      ? `DynamoDB refused the session (${bytes} bytes as an item by sessionkit's count) as over its item limit`
      : `the session is ${bytes} bytes as a DynamoDB item, over DynamoDB's item limit`;
    return new StoreError(
      this.name,
      `${action} refused: ${size} of ${ITEM_LIMIT_BYTES} bytes (400 KB). Keep large data out of the session (store it elsewhere and keep its id), or use another store.`,
      { cause },
    );
  }

  /** Where the client sends requests, for error messages: its endpoint, or its region on AWS. */
  #describeEndpoint(): Promise<string> {
    this.#where ??= (async () => {
      try {
        const endpoint = await this.#client.config.endpoint?.();
        if (endpoint) return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}`;
        return `region ${await this.#client.config.region()}`;
      } catch {
        return "the client's endpoint";
      }
    })();
    return this.#where;
  }

  /** The table setup when `createTable` is on, run once; a failed setup is retried by the next operation. */
  #ensureTable(): Promise<void> | undefined {
    if (!this.#createTable) return undefined;
    this.#tableSetup ??= this.#setUpTable().catch(async (error: unknown) => {
      this.#tableSetup = undefined;
      throw await this.#wrap(`setting up table "${this.table}"`, error);
    });
    return this.#tableSetup;
  }

  async #setUpTable(): Promise<void> {
    const lib = this.#lib;
    const TableName = this.table;
    try {
      await this.#request('describe table', (abortSignal) => this.#client.send(new lib.DescribeTableCommand({ TableName }), { abortSignal }));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
      try {
        const create = new lib.CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: this.partitionKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: this.partitionKey, KeyType: 'HASH' }],
        });
        await this.#request('create table', (abortSignal) => this.#client.send(create, { abortSignal }));
      } catch (createError) {
        // Another process created it in the meantime: wait for it like for our own.
        if (errorName(createError) !== 'ResourceInUseException') throw createError;
      }
    }
    await this.#waitUntilActive();
    await this.#enableTtl();
  }

  /** Polls DescribeTable (backing off to once a second) until ACTIVE, for at most two minutes. */
  async #waitUntilActive(): Promise<void> {
    const deadline = Date.now() + TABLE_ACTIVE_WAIT_MS;
    for (let delay = 20; ; delay = Math.min(delay * 2, 1000)) {
      const describe = new this.#lib.DescribeTableCommand({ TableName: this.table });
      const { Table: table } = await this.#request('describe table', (abortSignal) => this.#client.send(describe, { abortSignal }));
      const hashKey = table?.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
      if (hashKey !== undefined && hashKey !== this.partitionKey) {
        throw new StoreError(
          this.name,
          `table "${this.table}" has partition key "${hashKey}", not "${this.partitionKey}". Set partitionKey: '${hashKey}' or use another table.`,
        );
      }
      if (table?.TableStatus === 'ACTIVE') return;
      if (Date.now() + delay > deadline) {
        throw new StoreError(
          this.name,
          `table "${this.table}" was not ACTIVE after ${TABLE_ACTIVE_WAIT_MS / 1000} s (status ${String(table?.TableStatus)}).`,
        );
      }
      await sleep(delay);
    }
  }

  /** Turns on native TTL for `ttlAttribute` unless it is on already. */
  async #enableTtl(): Promise<void> {
    const lib = this.#lib;
    const TableName = this.table;
    const { TimeToLiveDescription: ttl } = await this.#request('describe TTL', (abortSignal) =>
      this.#client.send(new lib.DescribeTimeToLiveCommand({ TableName }), { abortSignal }),
    );
    if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') {
      if (ttl.AttributeName !== this.ttlAttribute) {
        this.#logger.warn(
          `dynamodb: table "${TableName}" has TTL on attribute "${String(ttl.AttributeName)}", not on "${this.ttlAttribute}": DynamoDB will not remove expired sessions. Set ttlAttribute: '${String(ttl.AttributeName)}'.`,
        );
      }
      return;
    }
    try {
      const enable = new lib.UpdateTimeToLiveCommand({
        TableName,
        TimeToLiveSpecification: { AttributeName: this.ttlAttribute, Enabled: true },
      });
      await this.#request('enable TTL', (abortSignal) => this.#client.send(enable, { abortSignal }));
    } catch (error) {
      // Emulators such as dynalite lack this operation. Sessions still expire on read.
      if (errorName(error) !== 'UnknownOperationException') throw error;
      if (!this.#warnedNoTtl) {
        this.#warnedNoTtl = true;
        this.#logger.warn(
          `dynamodb: ${await this.#describeEndpoint()} does not implement UpdateTimeToLive (an emulator?), so table "${TableName}" has no native TTL there. On real DynamoDB, enable TTL on attribute "${this.ttlAttribute}". Expired sessions still read as absent; deleteExpired() removes them.`,
        );
      }
    }
  }

}

function newVersion(): string {
  return randomBytes(8).toString('base64url');
}

function number(value: number): DynamoDB.AttributeValue {
  return { N: String(value) };
}

/** DynamoDB's TTL is in whole seconds: round up so the item is never removed before `expiresAt`. */
function ttlSeconds(expiresAt: number): DynamoDB.AttributeValue {
  return number(Math.ceil(expiresAt / 1000));
}

/** An item's size as DynamoDB counts it: names plus values, a number at most 1 byte per 2 digits plus 1. */
function itemBytes(item: Item): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    total += Buffer.byteLength(name);
    if (value.S !== undefined) total += Buffer.byteLength(value.S);
    else if (value.B !== undefined) total += value.B.byteLength;
    else if (value.N !== undefined) total += Math.ceil(value.N.replace(/\D/g, '').length / 2) + 1;
  }
  return total;
}

export function dynamodbStore(options: DynamoDBStoreOptions): DynamoDBStore {
  return new DynamoDBStore(options);
}
