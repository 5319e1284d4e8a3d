import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import { SessionConfigError } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import { timeoutOption } from '../shared/options.js';
import { LAYOUT_ATTRIBUTES } from './item.js';

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

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** The options with their defaults, checked: a configuration that cannot work fails here, at start-up. */
export function resolveOptions(options: DynamoDBStoreOptions) {
  if (typeof options?.client?.send !== 'function') {
    throw new SessionConfigError(
      'dynamodbStore: pass `client`, a DynamoDBClient from @aws-sdk/client-dynamodb, e.g. new DynamoDBClient({ region, endpoint, credentials }).',
    );
  }
  const table = options.table ?? 'sessions';
  if (!TABLE_NAME.test(table)) {
    throw new SessionConfigError(`dynamodbStore: table "${table}" is not a valid DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -).`);
  }
  const partitionKey = options.partitionKey ?? 'id';
  const ttlAttribute = options.ttlAttribute ?? 'expires';
  for (const [option, value] of [['partitionKey', partitionKey], ['ttlAttribute', ttlAttribute]] as const) {
    if (typeof value !== 'string' || value === '' || LAYOUT_ATTRIBUTES.includes(value)) {
      throw new SessionConfigError(`dynamodbStore: ${option} must be a non-empty attribute name other than ${LAYOUT_ATTRIBUTES.join(', ')}.`);
    }
  }
  if (partitionKey === ttlAttribute) throw new SessionConfigError('dynamodbStore: partitionKey and ttlAttribute must differ.');
  const timeout = timeoutOption('dynamodbStore', options.timeout);
  const logger: Pick<Logger, 'warn'> = options.logger ?? consoleLogger;
  return { client: options.client, table, partitionKey, ttlAttribute, timeout, logger, createTable: options.createTable ?? false };
}
