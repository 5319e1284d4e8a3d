import { describeValue, mustBe, SessionConfigError } from '../core/errors.js';
import type { CookieOptions, SessionOptions } from '../engine/options.js';
import { isStoreType, NOT_SHIPPED, STORE_TYPES, type StoreType } from './store-registry.js';
import { loadOptional } from '../stores/shared/load-optional.js';

/**
 * Translation of Flask-Session's configuration keys into sessionkit options, so that
 * Flask-Session's tables apply word for word. Values may be typed (a config object) or
 * strings (process.env); both are read the same way.
 */
type Config = Readonly<Record<string, unknown>>;

/** Backend keys: which store type each belongs to and the store option it sets. */
const BACKEND_KEYS: Record<
  string,
  { type: StoreType; option: string | ((value: unknown) => string); read: (value: unknown, key: string) => unknown }
> = {
  SESSION_FILE_DIR: { type: 'filesystem', option: 'dir', read: readString },
  SESSION_FILE_THRESHOLD: { type: 'filesystem', option: 'threshold', read: readInteger },
  SESSION_FILE_MODE: { type: 'filesystem', option: 'mode', read: readFileMode },
  SESSION_SQLITE_PATH: { type: 'sqlite', option: 'path', read: readString },
  SESSION_SQLITE_TABLE: { type: 'sqlite', option: 'table', read: readString },
  SESSION_SQLALCHEMY: { type: 'sql', option: 'client', read: readClient },
  SESSION_PEEWEE_CONFIG: { type: 'sql', option: 'client', read: readClient },
  SESSION_SQLALCHEMY_TABLE: { type: 'sql', option: 'table', read: readString },
  SESSION_PEEWEE_TABLE: { type: 'sql', option: 'table', read: readString },
  SESSION_SQLALCHEMY_SCHEMA: { type: 'sql', option: 'schema', read: readString },
  SESSION_CLEANUP_N_REQUESTS: { type: 'sql', option: 'sweepEveryNRequests', read: readInteger },
  // Flask-Session2's switch for deleting old rows: on means a sweep every 1000 requests.
  SESSION_AUTODELETE: { type: 'sql', option: 'sweepEveryNRequests', read: (v, k) => (readBoolean(v, k) ? 1000 : 0) },
  SESSION_REDIS: { type: 'redis', option: 'client', read: readClient },
  // A MemcacheClient of yours, or 'host:port' (several: an array or comma-separated) for the store's own clients.
  SESSION_MEMCACHED: {
    type: 'memcached',
    option: (value) => (typeof value === 'string' || Array.isArray(value) ? 'servers' : 'client'),
    read: readMemcached,
  },
  SESSION_DYNAMODB: { type: 'dynamodb', option: 'client', read: readClient },
  SESSION_DYNAMODB_TABLE: { type: 'dynamodb', option: 'table', read: readString },
  // Flask-Session2's names; flask-session-plus calls them client and collection (default 'sessions').
  SESSION_FIRESTORE: { type: 'firestore', option: 'client', read: readClient },
  SESSION_FIRESTORE_COLLECT: { type: 'firestore', option: 'collection', read: readString },
  // Defaults as in Flask-Session: database 'flask_session', collection 'sessions' (the store's own).
  SESSION_MONGODB: { type: 'mongodb', option: 'client', read: readClient },
  SESSION_MONGODB_DB: { type: 'mongodb', option: 'db', read: readString },
  SESSION_MONGODB_COLLECT: { type: 'mongodb', option: 'collection', read: readString },
};

/** Flask-Session SESSION_TYPE names that sessionkit serves with one store under another name. */
const TYPE_ALIASES: Record<string, StoreType> = { sqlalchemy: 'sql', peewee: 'sql', memcache: 'memcached' };

/**
 * Flask-Session2's DynamoDB connection keys: settings of the AWS SDK client, which is then
 * built from them (SESSION_DYNAMODB, a client of your own, takes precedence).
 */
const DYNAMODB_CLIENT_KEYS: Record<string, string> = {
  SESSION_DYNAMODB_ENDPOINT: 'endpoint',
  SESSION_DYNAMODB_REGION: 'region',
  SESSION_DYNAMODB_KEY_ID: 'accessKeyId',
  SESSION_DYNAMODB_SECRET: 'secretAccessKey',
};

/**
 * Settings a store chosen by SESSION_TYPE cannot do without, and what they hold: missing,
 * they fail here, at start-up, by the name the configuration uses (the store's own message
 * would name its option).
 */
const REQUIRED_KEYS: Partial<Record<StoreType, { key: string; holds: string }>> = {
  sqlite: { key: 'SESSION_SQLITE_PATH', holds: 'the database file, such as ./data/sessions.db' },
};

/** Flask-Session keys with no sessionkit equivalent, and why. */
const NO_EQUIVALENT: Record<string, string> = {
  SESSION_SQLALCHEMY_SEQUENCE: 'the session id itself is the primary key, so there is no sequence to name',
  SESSION_SQLALCHEMY_BIND_KEY: 'pass the handle of the database you mean as SESSION_SQLALCHEMY',
  SESSION_SQLALCHEMY_MODEL: 'create the table yourself (sqlStore.ddl()) and extend it as you like',
};

/**
 * Flask-Session2's Datastore key: the Google Cloud project of the Datastore client built for
 * SESSION_TYPE 'datastore'. Not a SESSION_ key, so it is read only for that type and left
 * to the other software that reads it otherwise.
 */
const DATASTORE_PROJECT_KEY = 'GCLOUD_APP_PROJECT_ID';

/** Flask-Session2's Elasticsearch keys: no store is shipped for them (NOT_SHIPPED says why). */
const ELASTICSEARCH_KEYS = ['SESSION_ELASTICSEARCH', 'SESSION_ELASTICSEARCH_HOST', 'SESSION_ELASTICSEARCH_INDEX'];

/** Environment variables that start with SESSION_ but belong to other software. */
const FOREIGN_ENV = new Set(['SESSION_MANAGER']);

const COOKIE_KEYS: Record<string, { option: keyof CookieOptions; read: (value: unknown, key: string) => unknown }> = {
  SESSION_COOKIE_NAME: { option: 'name', read: readString },
  SESSION_COOKIE_DOMAIN: { option: 'domain', read: readOptionalString },
  SESSION_COOKIE_PATH: { option: 'path', read: readOptionalString },
  SESSION_COOKIE_HTTPONLY: { option: 'httpOnly', read: readBoolean },
  SESSION_COOKIE_SECURE: { option: 'secure', read: readSecure },
  SESSION_COOKIE_SAMESITE: { option: 'sameSite', read: readSameSite },
  SESSION_COOKIE_PARTITIONED: { option: 'partitioned', read: readBoolean },
};

const CORE_KEYS = new Set([
  'SESSION_TYPE', 'SESSION_PERMANENT', 'SESSION_USE_SIGNER', 'SECRET_KEY', 'SESSION_SECRET', 'SECRET_KEY_FALLBACKS', 'SESSION_KEY_PREFIX',
  'SESSION_ID_LENGTH', 'PERMANENT_SESSION_LIFETIME', 'SESSION_REFRESH_EACH_REQUEST', 'SESSION_SERIALIZATION_FORMAT',
  'SESSION_TOUCH_AFTER', 'SESSION_ABSOLUTE_LIFETIME', 'SESSION_USER_FIELD', 'SESSION_LISTED_FIELDS',
  'SESSION_LOCK', 'SESSION_LOCK_WAIT', 'SESSION_LOCK_LEASE', 'SESSION_MAX_PER_USER', 'SESSION_ON_LIMIT', 'SESSION_ENCRYPT', 'SESSION_ENCRYPT_READ_PLAINTEXT', 'SESSION_HASH_ID_IN_STORE', 'SESSION_HASH_ID_READ_RAW_KEYS',
  'SESSION_FRESHNESS', 'SESSION_CSRF',
]);

/**
 * Options from a Flask-style config object, e.g.
 * `fromFlaskConfig({ SESSION_TYPE: 'sqlite', SECRET_KEY: '…', SESSION_USE_SIGNER: true })`.
 * Keys that do not start with SESSION_ (and are not Flask's own session keys) are ignored,
 * so a whole application config can be passed. Unknown SESSION_ keys and contradictions
 * throw a SessionConfigError that says what to change.
 */
export function fromFlaskConfig(config: Config): SessionOptions {
  return translate(config, new Set());
}

/** Options from environment variables with Flask-Session's names (SESSION_TYPE, SECRET_KEY, …). */
export function fromEnv(env: Readonly<Record<string, string | undefined>> = process.env): SessionOptions {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') defined[key] = value;
  return translate(defined, FOREIGN_ENV);
}

function translate(config: Config, ignored: ReadonlySet<string>): SessionOptions {
  const options: SessionOptions = {};
  const cookie: CookieOptions = {};
  const storeOptions: Record<string, unknown> = {};
  const backendKeysSeen: string[] = [];
  const dynamodbClientSettings: Record<string, string> = {};

  for (const key of Object.keys(config)) {
    const value = config[key];
    if (value === undefined || value === null || ignored.has(key)) continue;
    if (key in COOKIE_KEYS) {
      const { option, read } = COOKIE_KEYS[key]!;
      (cookie as Record<string, unknown>)[option] = read(value, key);
    } else if (key in BACKEND_KEYS) {
      const { option, read } = BACKEND_KEYS[key]!;
      storeOptions[typeof option === 'function' ? option(value) : option] = read(value, key);
      backendKeysSeen.push(key);
    } else if (key in DYNAMODB_CLIENT_KEYS) {
      dynamodbClientSettings[DYNAMODB_CLIENT_KEYS[key]!] = readString(value, key);
      backendKeysSeen.push(key);
    } else if (key in NO_EQUIVALENT) {
      throw new SessionConfigError(`${key} has no equivalent in sessionkit: ${NO_EQUIVALENT[key]}. Remove it.`);
    } else if (ELASTICSEARCH_KEYS.includes(key)) {
      throw new SessionConfigError(`${key} configures Elasticsearch: ${NOT_SHIPPED.elasticsearch}`);
    } else if (!CORE_KEYS.has(key) && key.startsWith('SESSION_')) {
      throw new SessionConfigError(`unknown setting ${key}. Check its spelling against the keys in sessionkit's docs/configuration.md.`);
    }
  }

  const type = readStoreType(config.SESSION_TYPE);
  if (type) options.type = type;
  checkRequiredKeys(type, backendKeysSeen);
  for (const key of backendKeysSeen) {
    const belongsTo = BACKEND_KEYS[key]?.type ?? 'dynamodb';
    if (belongsTo !== type) {
      throw new SessionConfigError(
        `${key} applies to SESSION_TYPE '${belongsTo}', but SESSION_TYPE is ${type ? `'${type}'` : 'not set'}. ` +
          `Set SESSION_TYPE to '${belongsTo}' or remove ${key}.`,
      );
    }
  }
  if (Object.keys(dynamodbClientSettings).length > 0 && storeOptions.client === undefined) {
    storeOptions.client = dynamodbClient(dynamodbClientSettings);
  }
  if (backendKeysSeen.length > 0) options.storeOptions = storeOptions;
  if (type === 'datastore') {
    // As Flask-Session2: a Datastore client for GCLOUD_APP_PROJECT_ID, or for the project the
    // environment names (GOOGLE_CLOUD_PROJECT, the credentials; DATASTORE_EMULATOR_HOST applies).
    const projectId = config[DATASTORE_PROJECT_KEY] === undefined ? undefined : readString(config[DATASTORE_PROJECT_KEY], DATASTORE_PROJECT_KEY);
    options.storeOptions = { ...storeOptions, client: datastoreClient(projectId) };
  }

  if (config.SESSION_PERMANENT !== undefined) options.permanent = readBoolean(config.SESSION_PERMANENT, 'SESSION_PERMANENT');
  const secret = readSecret(config);
  if (secret) options.secret = secret;
  if (config.SESSION_KEY_PREFIX !== undefined) options.keyPrefix = readString(config.SESSION_KEY_PREFIX, 'SESSION_KEY_PREFIX');
  if (config.SESSION_ID_LENGTH !== undefined) options.idLength = readInteger(config.SESSION_ID_LENGTH, 'SESSION_ID_LENGTH');
  if (config.PERMANENT_SESSION_LIFETIME !== undefined) {
    options.lifetime = readDuration(config.PERMANENT_SESSION_LIFETIME, 'PERMANENT_SESSION_LIFETIME');
  }
  if (config.SESSION_REFRESH_EACH_REQUEST !== undefined) {
    options.refreshEachRequest = readBoolean(config.SESSION_REFRESH_EACH_REQUEST, 'SESSION_REFRESH_EACH_REQUEST');
  }
  if (config.SESSION_TOUCH_AFTER !== undefined) options.touchAfter = readDuration(config.SESSION_TOUCH_AFTER, 'SESSION_TOUCH_AFTER');
  if (config.SESSION_ABSOLUTE_LIFETIME !== undefined) {
    options.absoluteLifetime = readDuration(config.SESSION_ABSOLUTE_LIFETIME, 'SESSION_ABSOLUTE_LIFETIME');
  }
  if (config.SESSION_USER_FIELD !== undefined) options.userField = readString(config.SESSION_USER_FIELD, 'SESSION_USER_FIELD');
  if (config.SESSION_LISTED_FIELDS !== undefined) {
    // A list, or comma-separated text from an environment variable.
    const fields = config.SESSION_LISTED_FIELDS;
    options.listedFields = Array.isArray(fields) ? fields.map((field) => readString(field, 'SESSION_LISTED_FIELDS')) : readString(fields, 'SESSION_LISTED_FIELDS').split(',').map((field) => field.trim());
  }
  if (config.SESSION_FRESHNESS !== undefined) options.freshness = readBoolean(config.SESSION_FRESHNESS, 'SESSION_FRESHNESS');
  if (config.SESSION_MAX_PER_USER !== undefined) options.maxSessionsPerUser = readInteger(config.SESSION_MAX_PER_USER, 'SESSION_MAX_PER_USER');
  // 'evict-oldest' or 'refuse': the engine checks it at start-up.
  if (config.SESSION_ON_LIMIT !== undefined) options.onLimit = readString(config.SESSION_ON_LIMIT, 'SESSION_ON_LIMIT') as SessionOptions['onLimit'];
  // Not Flask-WTF's WTF_CSRF_ENABLED: that defaults to true and means "where CSRFProtect is installed".
  if (config.SESSION_CSRF !== undefined) options.csrf = readBoolean(config.SESSION_CSRF, 'SESSION_CSRF');
  const lock = readLock(config);
  if (lock !== undefined) options.lock = lock;
  const encrypt = readEncrypt(config);
  if (encrypt !== undefined) options.encrypt = encrypt;
  const hashIds = readHashIds(config);
  if (hashIds !== undefined) options.hashIds = hashIds;
  if (config.SESSION_SERIALIZATION_FORMAT !== undefined) {
    options.serializer = readSerializer(config.SESSION_SERIALIZATION_FORMAT);
  }
  if (Object.keys(cookie).length > 0) options.cookie = cookie;
  return options;
}

function checkRequiredKeys(type: StoreType | undefined, keysSeen: readonly string[]): void {
  const required = type === undefined ? undefined : REQUIRED_KEYS[type];
  if (required !== undefined && !keysSeen.includes(required.key)) {
    throw new SessionConfigError(`SESSION_TYPE '${String(type)}' needs ${required.key}: set it to ${required.holds}.`);
  }
}

/** SESSION_LOCK turns the per-session lock on; SESSION_LOCK_WAIT and SESSION_LOCK_LEASE tune it (and need it on). */
function readLock(config: Config): SessionOptions['lock'] {
  const on = config.SESSION_LOCK !== undefined && readBoolean(config.SESSION_LOCK, 'SESSION_LOCK');
  const wait = config.SESSION_LOCK_WAIT === undefined ? undefined : readDuration(config.SESSION_LOCK_WAIT, 'SESSION_LOCK_WAIT');
  const lease = config.SESSION_LOCK_LEASE === undefined ? undefined : readDuration(config.SESSION_LOCK_LEASE, 'SESSION_LOCK_LEASE');
  if (!on) {
    if (wait !== undefined || lease !== undefined) {
      throw new SessionConfigError('SESSION_LOCK_WAIT or SESSION_LOCK_LEASE is set but SESSION_LOCK is not: set SESSION_LOCK=true to lock sessions.');
    }
    return config.SESSION_LOCK === undefined ? undefined : false;
  }
  if (wait === undefined && lease === undefined) return true;
  return { ...(wait === undefined ? {} : { wait }), ...(lease === undefined ? {} : { lease }) };
}

/** SESSION_ENCRYPT (Laravel's name) seals records with the signing secret; SESSION_ENCRYPT_READ_PLAINTEXT is the switch-over (and needs it on). */
function readEncrypt(config: Config): SessionOptions['encrypt'] {
  const on = config.SESSION_ENCRYPT !== undefined && readBoolean(config.SESSION_ENCRYPT, 'SESSION_ENCRYPT');
  const readPlaintext = config.SESSION_ENCRYPT_READ_PLAINTEXT !== undefined && readBoolean(config.SESSION_ENCRYPT_READ_PLAINTEXT, 'SESSION_ENCRYPT_READ_PLAINTEXT');
  if (!on) {
    if (readPlaintext) throw new SessionConfigError('SESSION_ENCRYPT_READ_PLAINTEXT is set but SESSION_ENCRYPT is not: set SESSION_ENCRYPT=true to encrypt sessions.');
    return config.SESSION_ENCRYPT === undefined ? undefined : false;
  }
  return readPlaintext ? { readPlaintext } : true;
}

/** SESSION_HASH_ID_IN_STORE turns `hashIds` on; SESSION_HASH_ID_READ_RAW_KEYS=false stops the raw-key fallback (and needs it on). */
function readHashIds(config: Config): SessionOptions['hashIds'] {
  const on = config.SESSION_HASH_ID_IN_STORE !== undefined && readBoolean(config.SESSION_HASH_ID_IN_STORE, 'SESSION_HASH_ID_IN_STORE');
  const readRawKeys = config.SESSION_HASH_ID_READ_RAW_KEYS === undefined ? undefined : readBoolean(config.SESSION_HASH_ID_READ_RAW_KEYS, 'SESSION_HASH_ID_READ_RAW_KEYS');
  if (!on) {
    if (readRawKeys !== undefined) {
      throw new SessionConfigError('SESSION_HASH_ID_READ_RAW_KEYS is set but SESSION_HASH_ID_IN_STORE is not: set SESSION_HASH_ID_IN_STORE=true to hash ids.');
    }
    return config.SESSION_HASH_ID_IN_STORE === undefined ? undefined : false;
  }
  return readRawKeys === undefined ? true : { readRawKeys };
}

/** SESSION_TYPE: a store's name, or one of Flask-Session's names for it. */
export function readStoreType(value: unknown): StoreType | undefined {
  if (value === undefined) return undefined;
  const name = describeValue(value).toLowerCase();
  const type = TYPE_ALIASES[name] ?? name;
  if (!isStoreType(type)) {
    if (Object.hasOwn(NOT_SHIPPED, type)) throw new SessionConfigError(`SESSION_TYPE '${describeValue(value)}': ${NOT_SHIPPED[type]}`);
    throw new SessionConfigError(mustBe('SESSION_TYPE', `one of ${STORE_TYPES.join(', ')} (or the Flask-Session names ${Object.keys(TYPE_ALIASES).join(', ')})`));
  }
  return type;
}

/**
 * The secrets that sign session ids: SESSION_SECRET (the variable the README's examples
 * read), or Flask-Session's SESSION_USE_SIGNER with SECRET_KEY (Flask's application key, which
 * alone signs nothing). SECRET_KEY_FALLBACKS (Flask 3.1) are older keys that still verify.
 */
function readSecret(config: Config): string[] | undefined {
  const useSigner = config.SESSION_USE_SIGNER === undefined ? undefined : readBoolean(config.SESSION_USE_SIGNER, 'SESSION_USE_SIGNER');
  const signing = config.SESSION_SECRET === undefined ? readSignerKey(config, useSigner === true) : readSessionSecret(config, useSigner);
  const fallbacks = config.SECRET_KEY_FALLBACKS;
  if (signing === undefined) {
    if (fallbacks !== undefined) {
      throw new SessionConfigError('SECRET_KEY_FALLBACKS is set but nothing signs: set SESSION_SECRET, or SESSION_USE_SIGNER=true with SECRET_KEY.');
    }
    return undefined;
  }
  const older = fallbacks === undefined ? [] : Array.isArray(fallbacks) ? fallbacks.map((key) => readSecretText(key, 'SECRET_KEY_FALLBACKS')) : readSecretText(fallbacks, 'SECRET_KEY_FALLBACKS').split(',');
  return [signing, ...older.map((key) => key.trim()).filter(Boolean)];
}

/** SESSION_SECRET signs by itself; with Flask-Session's way set as well, which one was meant is unclear. */
function readSessionSecret(config: Config, useSigner: boolean | undefined): string {
  if (useSigner === false) {
    throw new SessionConfigError('SESSION_SECRET is set but SESSION_USE_SIGNER is false: SESSION_SECRET signs session ids by itself. Remove one of them.');
  }
  if (useSigner === true && config.SECRET_KEY !== undefined) {
    throw new SessionConfigError('SESSION_SECRET and SESSION_USE_SIGNER with SECRET_KEY both name the signing secret: keep one of the two ways.');
  }
  return readSecretText(config.SESSION_SECRET, 'SESSION_SECRET');
}

/** Flask-Session's way: SESSION_USE_SIGNER needs SECRET_KEY. */
function readSignerKey(config: Config, useSigner: boolean): string | undefined {
  if (!useSigner) return undefined;
  const secret = config.SECRET_KEY;
  if (secret === undefined || secret === '') {
    throw new SessionConfigError('SESSION_USE_SIGNER is true but SECRET_KEY is not set. Set SECRET_KEY to a long random string.');
  }
  return readSecretText(secret, 'SECRET_KEY');
}

/** A secret must be text: anything else would sign with its "[object Object]" spelling. */
function readSecretText(value: unknown, key: string): string {
  if (typeof value !== 'string') throw new SessionConfigError(`${key} must be a string, got ${typeof value}.`);
  return value;
}

/** A client instance (SESSION_SQLALCHEMY, SESSION_DYNAMODB, …), passed through as it is. */
function readClient(value: unknown, key: string): object {
  if (typeof value !== 'object' || value === null) {
    throw new SessionConfigError(`${key} must be a client instance (a connection pool, database or SDK client), got ${typeof value}.`);
  }
  return value;
}

/** SESSION_MEMCACHED: a client instance, or the servers as 'host:port' strings. */
function readMemcached(value: unknown, key: string): object | string[] {
  if (typeof value === 'string' || Array.isArray(value)) {
    const servers = (typeof value === 'string' ? value.split(',') : value).map((server) => String(server).trim()).filter(Boolean);
    const bad = servers.find((server) => !/^[^\s:]+:\d{1,5}$/.test(server));
    if (servers.length === 0 || bad !== undefined) {
      throw new SessionConfigError(mustBe(key, 'a MemcacheClient or "host:port" (several separated by commas)'));
    }
    return servers;
  }
  return readClient(value, key);
}

/** Builds the AWS SDK client from Flask-Session2's SESSION_DYNAMODB_* settings. */
function dynamodbClient(settings: Record<string, string>): object {
  const { DynamoDBClient } = loadOptional<typeof import('@aws-sdk/client-dynamodb')>('@aws-sdk/client-dynamodb', 'dynamodb');
  const { accessKeyId, secretAccessKey, ...rest } = settings;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new SessionConfigError('SESSION_DYNAMODB_KEY_ID and SESSION_DYNAMODB_SECRET go together: set both or neither.');
  }
  return new DynamoDBClient({ ...rest, ...(accessKeyId ? { credentials: { accessKeyId, secretAccessKey: secretAccessKey! } } : {}) });
}

/** Flask-Session2's Datastore client: `datastore.Client()` for the project given, or the environment's. */
function datastoreClient(projectId: string | undefined): object {
  const { Datastore } = loadOptional<typeof import('@google-cloud/datastore')>('@google-cloud/datastore', 'datastore');
  return new Datastore(projectId === undefined ? {} : { projectId });
}

function readString(value: unknown, key: string): string {
  if (typeof value !== 'string' || value === '') throw new SessionConfigError(`${key} must be a non-empty string.`);
  return value;
}

function readOptionalString(value: unknown, key: string): string | undefined {
  return value === '' ? undefined : readString(value, key);
}

function readBoolean(value: unknown, key: string): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new SessionConfigError(mustBe(key, 'true or false'));
}

function readInteger(value: unknown, key: string): number {
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(number)) throw new SessionConfigError(mustBe(key, 'an integer'));
  return number;
}

/** File modes as Flask writes them: 384, 0o600, or the string '0600' (octal). */
function readFileMode(value: unknown, key: string): number {
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  if (/^0o?[0-7]{1,4}$/i.test(text)) return parseInt(text.replace(/^0o?/i, ''), 8);
  if (/^\d+$/.test(text)) return Number(text);
  throw new SessionConfigError(mustBe(key, 'a file mode such as 0600 or 384'));
}

function readDuration(value: unknown, key: string): number | string {
  if (typeof value === 'number' || typeof value === 'string') return value;
  throw new SessionConfigError(`${key} must be seconds or a duration string like '31d', got ${typeof value}.`);
}

function readSecure(value: unknown, key: string): boolean | 'auto' {
  return String(value).toLowerCase() === 'auto' ? 'auto' : readBoolean(value, key);
}

function readSameSite(value: unknown, key: string): CookieOptions['sameSite'] {
  if (value === false) return false;
  const text = String(value).trim().toLowerCase();
  if (text === 'lax' || text === 'strict' || text === 'none') return text;
  // Flask's None (SESSION_COOKIE_SAMESITE = None) means "no SameSite attribute".
  if (text === '' || text === 'false') return false;
  throw new SessionConfigError(mustBe(key, 'Lax, Strict or None'));
}

function readSerializer(value: unknown): 'msgpack' | 'json' {
  const text = String(value).toLowerCase();
  if (text === 'msgpack' || text === 'json') return text;
  throw new SessionConfigError(mustBe('SESSION_SERIALIZATION_FORMAT', "'msgpack' or 'json'"));
}
