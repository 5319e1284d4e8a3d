import type { MongoClient } from 'mongodb';
import { SessionConfigError } from '../../core/errors.js';
import { consoleLogger, type Logger } from '../../core/logger.js';
import { timeoutOption } from '../shared/options.js';

export interface MongoDBStoreOptions {
  /** SESSION_MONGODB: your `MongoClient` from the official `mongodb` driver. Borrowed: never closed by the store. */
  client: MongoClient;
  /** SESSION_MONGODB_DB: the database. Default 'flask_session'. */
  db?: string;
  /** SESSION_MONGODB_COLLECT: the collection. Default 'sessions'. */
  collection?: string;
  /**
   * Create the TTL index on `expiresAt` (`expireAfterSeconds: 0`, named 'sessionkit_expiresAt_ttl')
   * before the first write. Default true. Set false where the application's user may not
   * create indexes and an administrator creates it instead.
   */
  createIndexes?: boolean;
  /** Milliseconds one operation may take, the driver's server selection and retries included. Default 5000. */
  timeout?: number;
  /** Where the store's warnings go. Default: console, prefixed '[sessionkit]'. */
  logger?: Pick<Logger, 'warn'>;
}

/** MongoDB's rules for database names (no / \ . space " $ * < > : | ?, under 64 bytes). */
const DB_NAME = /^[^/\\. "$*<>:|?]{1,63}$/;

/** The options with their defaults, checked: a configuration that cannot work fails here, at start-up. */
export function resolveOptions(options: MongoDBStoreOptions) {
  if (typeof options?.client?.db !== 'function') {
    throw new SessionConfigError(
      "mongodbStore: pass `client`, a MongoClient from the mongodb package, e.g. new MongoClient('mongodb://127.0.0.1:27017', { serverSelectionTimeoutMS: 2000 }).",
    );
  }
  const db = options.db ?? 'flask_session';
  if (typeof db !== 'string' || !DB_NAME.test(db)) {
    throw new SessionConfigError(`mongodbStore: db "${String(db)}" is not a valid MongoDB database name (1-63 characters, none of / \\ . space " $ * < > : | ?).`);
  }
  const collection = options.collection ?? 'sessions';
  if (typeof collection !== 'string' || collection === '' || collection.includes('$') || collection.includes('\0') || collection.startsWith('system.')) {
    throw new SessionConfigError(`mongodbStore: collection "${String(collection)}" is not a valid MongoDB collection name (non-empty, no $, not system.*).`);
  }
  const timeout = timeoutOption('mongodbStore', options.timeout);
  const logger: Pick<Logger, 'warn'> = options.logger ?? consoleLogger;
  return { client: options.client, db, collection, timeout, logger, createIndexes: options.createIndexes ?? true };
}
