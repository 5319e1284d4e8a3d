/**
 * Sessions in Amazon DynamoDB through the AWS SDK v3 low-level client: the Flask-Session family's
 * DynamoDB backend.
 *
 * Client: a `DynamoDBClient` from `@aws-sdk/client-dynamodb` of yours (SESSION_DYNAMODB).
 * It is borrowed: the store never destroys it. Flask-Session2's SESSION_DYNAMODB_ENDPOINT,
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
 * Options (./options.ts): `table` is SESSION_DYNAMODB_TABLE (default 'sessions').
 *
 * Item layout (one item per session): see ./item.ts; table provisioning: ./table.ts.
 * An item under a session's key without that layout (another application's, in a shared
 * table) reads as no session, with one warning per read.
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
 * keys(prefix) (./keys.ts, for toConnectStore's all/ids/length/clear) is a Scan of the
 * whole table, 1000 items a page, consistent. Its filter (live, under the prefix) and
 * projection (the key alone) only shrink the answer: DynamoDB charges the read capacity
 * of every item the Scan goes through, whole, whatever the filter keeps. Tools only;
 * never on a request's path.
 */
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import type { Logger } from '../../core/logger.js';
import { recordIf, sweepLimit, type Store, type StoreRecord, type SweepOptions } from '../../core/store.js';
import { bounded, storeCall } from '../shared/call.js';
import { foreignValue } from '../../core/foreign.js';
import { loadOptional } from '../shared/load-optional.js';
import { ITEM_LIMIT_BYTES, fromItem, itemBytes, newVersion, number, toItem, ttlSeconds, type Item } from './item.js';
import { resolveOptions, type DynamoDBStoreOptions } from './options.js';
import { describeEndpoint, errorName, remedyFor, tooLarge, type ErrorContext } from './errors.js';
import { liveKeys } from './keys.js';
import { countExpired, sweepExpired, type SweepTarget } from './sweep.js';
import { setUpTable } from './table.js';

export type { DynamoDBStoreOptions };

type Library = typeof DynamoDB;


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
  readonly #sweepTarget: SweepTarget;
  #tableSetup: Promise<void> | undefined;
  #where: Promise<string> | undefined;

  constructor(options: DynamoDBStoreOptions) {
    const resolved = resolveOptions(options);
    this.table = resolved.table;
    this.partitionKey = resolved.partitionKey;
    this.ttlAttribute = resolved.ttlAttribute;
    this.timeout = resolved.timeout;
    this.#client = resolved.client;
    this.#logger = resolved.logger;
    this.#createTable = resolved.createTable;
    // The command classes come from the library the user's client belongs to; loaded here,
    // not imported, because the SDK is an optional peer dependency.
    this.#lib = loadOptional<Library>('@aws-sdk/client-dynamodb', this.name);
    this.#sweepTarget = {
      storeName: this.name,
      client: this.#client,
      lib: this.#lib,
      table: this.table,
      partitionKey: this.partitionKey,
      position: {},
      run: (action, operation) => this.#run(action, operation),
    };
    // Started now so that the first request usually finds the table ready. A failure is
    // reported (and the setup retried) by the operations that wait for it.
    this.#ensureTable()?.catch(() => {});
  }

  async get(key: string): Promise<StoreRecord | undefined> {
    return recordIf(await this.#read(key), 'live');
  }

  /** An expired record its TTL has not removed yet (`Store.getExpired`): read to tell why a session is gone. */
  async getExpired(key: string): Promise<StoreRecord | undefined> {
    return recordIf(await this.#read(key), 'expired');
  }

  /** The record under `key`, expired or not; a value not of our layout reads as none, with one warning. */
  async #read(key: string): Promise<StoreRecord | undefined> {
    const { Item: item } = await this.#run('read', (abortSignal) =>
      this.#client.send(
        new this.#lib.GetItemCommand({ TableName: this.table, Key: this.#key(key), ConsistentRead: true }),
        { abortSignal },
      ),
    );
    if (!item) return undefined;
    const record = fromItem(item);
    if (Array.isArray(record)) {
      foreignValue({ logger: this.#logger, storeName: this.name },
        key,
        `an item without ${record.join(', ')}`,
        `Is another application writing to table "${this.table}"? Give sessions a table of their own.`,
      );
      return undefined;
    }
    return record;
  }

  async set(key: string, record: StoreRecord): Promise<string> {
    const version = newVersion();
    await this.#put('write', toItem(this, key, record, version));
    return version;
  }

  async create(key: string, record: StoreRecord): Promise<boolean> {
    const version = newVersion();
    // Succeeds over an expired item that DynamoDB's TTL has not removed yet.
    const created = await this.#put('create', toItem(this, key, record, version), {
      ConditionExpression: 'attribute_not_exists(#pk) OR #e <= :now',
      ExpressionAttributeNames: { '#pk': this.partitionKey, '#e': 'expiresAt' },
      ExpressionAttributeValues: { ':now': number(Date.now()) },
    });
    // The SDK retries a request whose answer was lost (a request timeout, a reset
    // connection). When the lost attempt had been applied, the retry meets the item it
    // wrote and its condition fails. That item carries this write's random version token,
    // which no other write has: it is this create's own success, not a collision.
    return created || (await this.#versionOf(key, 'create')) === version;
  }

  async setIf(key: string, record: StoreRecord, expectedVersion: string): Promise<boolean> {
    // A missing item has no version, so the condition fails and nothing is re-created.
    return this.#put('write', toItem(this, key, record, newVersion()), {
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

  /** Removes expired items (at most `limit`) by scanning the table; see ./sweep.ts for what that costs. */
  async deleteExpired(options?: SweepOptions): Promise<number> {
    return sweepExpired(this.#sweepTarget, sweepLimit(this.name, options));
  }

  /** Counts expired items with a scan of the whole table (Select COUNT): as costly as a sweep. */
  countExpired(): Promise<number> {
    return countExpired(this.#sweepTarget);
  }

  /** The live keys under `prefix`: a Scan of the whole table (see ./keys.ts for what it costs). */
  keys(prefix: string): AsyncIterable<string> {
    return liveKeys(this.#sweepTarget, prefix);
  }

  /** The version token of the item under `key` (read consistently), or undefined. */
  async #versionOf(key: string, action: string): Promise<string | undefined> {
    const { Item: item } = await this.#run(action, (abortSignal) =>
      this.#client.send(
        new this.#lib.GetItemCommand({
          TableName: this.table,
          Key: this.#key(key),
          ConsistentRead: true,
          ProjectionExpression: '#v',
          ExpressionAttributeNames: { '#v': 'version' },
        }),
        { abortSignal },
      ),
    );
    return item?.version?.S;
  }

  #key(key: string): Item {
    return { [this.partitionKey]: { S: key } };
  }

  /** PutItem, refused before sending when the item is over DynamoDB's size limit; false when its condition fails. */
  async #put(action: string, item: Item, condition?: Partial<DynamoDB.PutItemCommandInput>): Promise<boolean> {
    const bytes = itemBytes(item);
    if (bytes > ITEM_LIMIT_BYTES) throw tooLarge(this.name, action, bytes);
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
  #run<T>(action: string, operation: (signal: AbortSignal) => Promise<T>, itemBytes?: number): Promise<T> {
    return storeCall(this, action, (error) => remedyFor(this.#errorContext(), action, error, itemBytes), async (signal) => {
      await this.#ensureTable();
      return operation(signal);
    });
  }

  #errorContext(): ErrorContext {
    return { storeName: this.name, table: this.table, partitionKey: this.partitionKey, where: () => this.#describeEndpoint() };
  }

  /** Where the client sends requests, looked up once, for messages. */
  #describeEndpoint(): Promise<string> {
    this.#where ??= describeEndpoint(this.#client);
    return this.#where;
  }

  /** The table setup when `createTable` is on, run once; a failed setup is retried by the next operation. */
  #ensureTable(): Promise<void> | undefined {
    if (!this.#createTable) return undefined;
    const action = `setting up table "${this.table}"`;
    // Each step is bounded by the timeout; the whole set-up is not (a new table takes a while).
    const unbounded = { name: this.name, timeout: Number.POSITIVE_INFINITY };
    this.#tableSetup ??= storeCall(unbounded, action, (error) => remedyFor(this.#errorContext(), action, error), () =>
      setUpTable({
        storeName: this.name,
        client: this.#client,
        lib: this.#lib,
        table: this.table,
        partitionKey: this.partitionKey,
        ttlAttribute: this.ttlAttribute,
        logger: this.#logger,
        within: (step, operation) => bounded(this, step, operation),
        where: () => this.#describeEndpoint(),
      }),
    ).catch((error: unknown) => {
      this.#tableSetup = undefined;
      throw error;
    });
    return this.#tableSetup;
  }
}

export function dynamodbStore(options: DynamoDBStoreOptions): DynamoDBStore {
  return new DynamoDBStore(options);
}
