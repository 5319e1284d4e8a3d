/**
 * The database clients `sessionkit cleanup` makes itself: from `--url` (PostgreSQL, MySQL/
 * MariaDB, MongoDB), for Firestore (its project), for DynamoDB when no SESSION_DYNAMODB_*
 * setting built one (the SDK's default chain). Each is made with short connection
 * timeouts, so a server that is down fails the command in seconds, and closed at the end.
 */
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import type * as Firestore from '@google-cloud/firestore';
import type * as Mongo from 'mongodb';
import type * as Mysql from 'mysql2/promise';
import type * as Pg from 'pg';
import { SessionConfigError } from '../core/errors.js';
import { loadOptional } from '../stores/shared/load-optional.js';
import type { CleanupTarget } from './settings.js';

/** How long a client waits for a connection (ms). */
const CONNECT_TIMEOUT_MS = 5000;

/** The target's store options with the client the command makes, if it makes one. */
export function withClient(target: CleanupTarget): Record<string, unknown> {
  const client = makeClient(target);
  return client === undefined ? target.storeOptions : { ...target.storeOptions, client };
}

function makeClient({ type, storeOptions, connection }: CleanupTarget): object | undefined {
  const { url } = connection;
  if (type === 'sql') {
    if (url === undefined) throw new SessionConfigError("type 'sql' needs the database: pass --url postgres://… or --url mysql://….");
    return sqlClient(url);
  }
  if (type === 'mongodb') {
    if (url === undefined) throw new SessionConfigError("type 'mongodb' needs the database: pass --url mongodb://….");
    const { MongoClient } = library<typeof Mongo>('mongodb', type);
    return new MongoClient(url, { serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS, connectTimeoutMS: CONNECT_TIMEOUT_MS });
  }
  if (type === 'firestore') {
    // FIRESTORE_EMULATOR_HOST and the environment's credentials apply, as to `new Firestore()`.
    const { Firestore: Client } = library<typeof Firestore>('@google-cloud/firestore', type);
    return new Client(connection.projectId === undefined ? {} : { projectId: connection.projectId });
  }
  if (type === 'dynamodb' && storeOptions.client === undefined) {
    const { DynamoDBClient } = library<typeof DynamoDB>('@aws-sdk/client-dynamodb', type);
    return new DynamoDBClient({});
  }
  return undefined;
}

function sqlClient(url: string): object {
  const scheme = /^([a-z0-9+]+):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    const pg = library<typeof Pg>('pg', 'sql');
    const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    pool.on('error', () => {}); // an idle client whose server went away; the next query reports it
    return pool;
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    const mysql = library<typeof Mysql>('mysql2/promise', 'sql');
    return mysql.createPool({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectionLimit: 2, connectTimeout: CONNECT_TIMEOUT_MS });
  }
  throw new SessionConfigError(`--url ${redacted(url)}: type 'sql' takes postgres://, postgresql://, mysql:// or mariadb:// URLs.`);
}

/** A URL without its password, for messages. */
export function redacted(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the module's type, as with loadOptional
function library<T>(name: string, type: string): T {
  try {
    return loadOptional<T>(name, type);
  } catch (error) {
    throw new SessionConfigError((error as Error).message.replace(/^sessionkit: /, ''));
  }
}

/** Closes a client the command made (pools end, SDK clients are destroyed), within a second. */
export async function closeClient(client: unknown): Promise<void> {
  if (typeof client !== 'object' || client === null) return;
  const c = client as Record<string, unknown>;
  const close = ['end', 'close', 'terminate', 'destroy'].find((name) => typeof c[name] === 'function');
  if (close === undefined) return;
  await Promise.race([
    Promise.resolve()
      .then(() => (c[close] as () => unknown).call(client))
      .catch(() => {}),
    new Promise((resolve) => setTimeout(resolve, 1000).unref()),
  ]);
}
