/**
 * Which store a command (`cleanup`, `sessions`) works on: the environment (and `--env-from`)
 * read with the application's own `fromEnv`, the store flags on top of it as the same
 * SESSION_* keys, and the database clients that a command line can only give as a URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { SessionConfigError } from '../core/errors.js';
import { fromEnv, readStoreType } from '../config/flask-config.js';
import type { StoreType } from '../config/store-registry.js';
import { UsageError, type StoreArgs, type StoreFlag } from './args.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The setting each store flag stands for, per store type; a flag another type does not read is a usage error. */
const FLAG_KEYS: Partial<Record<StoreFlag, Partial<Record<StoreType, string>>>> = {
  dir: { filesystem: 'SESSION_FILE_DIR' },
  path: { sqlite: 'SESSION_SQLITE_PATH' },
  table: { sqlite: 'SESSION_SQLITE_TABLE', sql: 'SESSION_SQLALCHEMY_TABLE', dynamodb: 'SESSION_DYNAMODB_TABLE' },
  schema: { sql: 'SESSION_SQLALCHEMY_SCHEMA' },
  collection: { firestore: 'SESSION_FIRESTORE_COLLECT', mongodb: 'SESSION_MONGODB_COLLECT' },
  db: { mongodb: 'SESSION_MONGODB_DB' },
  endpoint: { dynamodb: 'SESSION_DYNAMODB_ENDPOINT' },
  region: { dynamodb: 'SESSION_DYNAMODB_REGION' },
  project: { datastore: 'GCLOUD_APP_PROJECT_ID' },
};

/** Flags that are store options with no Flask-Session key. */
const OPTION_FLAGS: Partial<Record<StoreFlag, Partial<Record<StoreType, string>>>> = {
  kind: { datastore: 'kind' },
  namespace: { datastore: 'namespace' },
  project: { firestore: 'projectId' },
  url: { sql: 'url', mongodb: 'url', redis: 'url' },
};

/** Stores whose server drops expired sessions itself. */
export const EXPIRE_THEMSELVES: Partial<Record<StoreType, string>> = {
  redis: 'Redis expires sessions itself',
  memcached: 'memcached expires sessions itself',
};

/** Stores a separate process cannot clean, and why. */
const UNREACHABLE: Partial<Record<StoreType, string>> = {
  memory: "the memory store lives inside the application's process: another process cannot reach it",
  null: 'the null store keeps nothing',
};

export interface StoreTarget {
  readonly type: StoreType;
  /** The store options fromEnv gave (clients it built included). */
  readonly storeOptions: Record<string, unknown>;
  /** Settings of clients only the command line can describe: `url` (sql, mongodb, redis), `projectId` (firestore). */
  readonly connection: Readonly<Record<string, string>>;
  /** The settings as fromEnv reads them: the environment with the store flags applied. */
  readonly settings: Readonly<Record<string, string | undefined>>;
}

/** The environment: `env` over the `--env-from`'s variables (variables already set win, as with node --env-file). */
export function environment(args: StoreArgs, env: Env): Env {
  if (args.envFile === undefined) return env;
  let content: string;
  try {
    content = readFileSync(args.envFile, 'utf8');
  } catch (error) {
    throw new UsageError(`--env-from ${args.envFile}: ${(error as Error).message}`);
  }
  return { ...parseEnv(content), ...env };
}

/** The store `args` and `env` name; `pointless` ends the message for a store no other process can reach. */
export function storeTarget(args: StoreArgs, env: Env, pointless: string): StoreTarget {
  const settings: Record<string, string | undefined> = { ...env };
  if (args.store.type !== undefined) settings.SESSION_TYPE = args.store.type;
  const type = readStoreType(settings.SESSION_TYPE);
  if (type === undefined) throw new UsageError('no store named: pass --type or set SESSION_TYPE.', true);
  const connection: Record<string, string> = {};
  for (const [flag, value] of Object.entries(args.store) as [StoreFlag, string][]) {
    if (flag === 'type') continue;
    const key = FLAG_KEYS[flag]?.[type];
    const option = OPTION_FLAGS[flag]?.[type];
    if (key !== undefined) settings[key] = value;
    else if (option !== undefined) connection[option] = value;
    else throw new UsageError(`--${flag} does not apply to type '${type}'.`, true);
  }
  const unreachable = UNREACHABLE[type];
  if (unreachable !== undefined) throw new UsageError(`type '${type}': ${unreachable}; ${pointless}.`);
  // Said here rather than by fromEnv, which knows nothing of the flag.
  if (type === 'sqlite' && settings.SESSION_SQLITE_PATH === undefined) {
    throw new SessionConfigError("type 'sqlite' needs the database file: set SESSION_SQLITE_PATH or --path.");
  }
  const storeOptions: Record<string, unknown> = { ...fromEnv(settings).storeOptions };
  for (const option of ['kind', 'namespace']) if (connection[option] !== undefined) storeOptions[option] = connection[option];
  checkLocalPath(type, storeOptions);
  return { type, storeOptions, connection, settings };
}

/** A file or directory that is not there is a mistake in the settings: cleaning it would create it, or find nothing. */
function checkLocalPath(type: StoreType, options: Record<string, unknown>): void {
  if (type !== 'sqlite' && type !== 'filesystem') return;
  const key = type === 'sqlite' ? 'SESSION_SQLITE_PATH or --path' : 'SESSION_FILE_DIR or --dir';
  // The filesystem store's default directory, as the store itself chooses it.
  const path = String(type === 'sqlite' ? options.path : (options.dir ?? join(process.cwd(), 'sessionkit_sessions')));
  if (!existsSync(path)) throw new SessionConfigError(`${path} does not exist (${key}): there are no sessions there.`);
}
