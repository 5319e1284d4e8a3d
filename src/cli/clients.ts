/**
 * The database clients the `sessionkit` commands make themselves: from `--url` (PostgreSQL,
 * MySQL/MariaDB, MongoDB, Redis), for Firestore (its project), for DynamoDB when no
 * SESSION_DYNAMODB_* setting built one (the SDK's default chain). Each is made with short
 * connection timeouts, so a server that is down fails the command in seconds, and closed at the end.
 */
import type * as DynamoDB from '@aws-sdk/client-dynamodb';
import type * as Firestore from '@google-cloud/firestore';
import type * as Mongo from 'mongodb';
import type * as Mysql from 'mysql2/promise';
import type * as Pg from 'pg';
import type * as NodeRedis from 'redis';
import { mustBe, SessionConfigError } from '../core/errors.js';
import { wrapStoreError } from '../core/store.js';
import { loadOptional } from '../stores/shared/load-optional.js';
import type { StoreTarget } from './settings.js';

/** How long a client waits for a connection (ms). */
const CONNECT_TIMEOUT_MS = 5000;

/** The target's store options with the client the command makes, if it makes one. */
export async function withClient(target: StoreTarget): Promise<Record<string, unknown>> {
  const client = target.type === 'redis' ? await redisClient(target.connection.url) : makeClient(target);
  return client === undefined ? target.storeOptions : { ...target.storeOptions, client };
}

function makeClient({ type, storeOptions, connection }: StoreTarget): object | undefined {
  const { url } = connection;
  if (type === 'sql') {
    if (url === undefined) throw new SessionConfigError("type 'sql' needs the database: pass --url postgres://… or --url mysql://….");
    return sqlClient(url);
  }
  if (type === 'mongodb') {
    if (url === undefined) throw new SessionConfigError("type 'mongodb' needs the database: pass --url mongodb://….");
    checkPercentEncoding(url, schemeOf(url));
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

/**
 * A node-redis client for `--url redis://…` (rediss:// for TLS), connected (node-redis sends
 * nothing before) and not reconnecting: a server that is down fails the command at once.
 * Without --url the store makes its own client for redis://127.0.0.1:6379, as in the application.
 */
async function redisClient(url: string | undefined): Promise<object | undefined> {
  if (url === undefined) return undefined;
  const scheme = schemeOf(url);
  if (scheme !== 'redis' && scheme !== 'rediss') throw new SessionConfigError(`--url: type 'redis' takes redis:// or rediss:// URLs, not ${scheme}://.`);
  checkPercentEncoding(url, scheme);
  const { createClient } = library<typeof NodeRedis>('redis', 'redis');
  const client = createClient({ url, socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false } });
  let failure: Error | undefined;
  client.on('error', (error: Error) => (failure ??= error)); // reported by connect() below, or by the store's next command
  try {
    await client.connect();
  } catch (error) {
    throw wrapStoreError('redis', 'connecting', 'Check --url and that the server is running.', failure ?? error);
  }
  return client;
}

function sqlClient(url: string): object {
  const scheme = schemeOf(url);
  if (!SQL_SCHEMES.includes(scheme)) {
    // SQLAlchemy's URLs name the driver too (postgresql+psycopg2://): the dialect alone is what is meant.
    const dialect = scheme.includes('+') ? ` (SQLAlchemy's dialect+driver form: write the dialect alone, such as postgresql://)` : '';
    throw new SessionConfigError(`--url: type 'sql' takes postgres://, postgresql://, mysql:// or mariadb:// URLs, not ${scheme}://${dialect}.`);
  }
  checkPercentEncoding(url, scheme);
  if (scheme.startsWith('postgres')) {
    const pg = library<typeof Pg>('pg', 'sql');
    const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    pool.on('error', () => {}); // an idle client whose server went away; the next query reports it
    return pool;
  }
  const mysql = library<typeof Mysql>('mysql2/promise', 'sql');
  return mysql.createPool({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectionLimit: 2, connectTimeout: CONNECT_TIMEOUT_MS });
}

const SQL_SCHEMES = ['postgres', 'postgresql', 'mysql', 'mariadb'];

/*
 * The URL itself never goes into a message (it holds the password): only its scheme, once
 * the text is known to be `scheme://…`, which puts nothing of the password before the
 * `://`. Whether the rest parses is left to the client: its URLs are not all WHATWG URLs
 * (MongoDB's several hosts, PostgreSQL's socket directory).
 */

/** The scheme of `scheme://…`, lowercased; anything else is a settings error. */
function schemeOf(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]{0,31}):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) throw new SessionConfigError(mustBe('--url', 'a URL such as postgres://user:password@host/database'));
  return scheme;
}

/** Clients decode the user name and password: a '%' not followed by two hex digits stops them ("URI malformed"). */
function checkPercentEncoding(url: string, scheme: string): void {
  if (/%(?![0-9a-f]{2})/i.test(url)) {
    throw new SessionConfigError(
      `--url (${scheme}://…, the rest not shown) holds a '%' that is not percent-encoding: a user name or password holding / @ : % # ? must be percent-encoded (encodeURIComponent).`,
    );
  }
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
