import { describe, expect, it } from 'vitest';
import { fromEnv, fromFlaskConfig, SessionConfigError, SessionEngine } from '../../src/index.js';
import { parseDuration } from '../../src/core/duration.js';
import { EncryptedStore } from '../../src/encryption/encrypted-store.js';

const SECRET = 'flask-secret-key-long-enough';

describe('fromFlaskConfig: the seeds keys word for word', () => {
  it('maps every core key', () => {
    expect(
      fromFlaskConfig({
        SESSION_TYPE: 'memory',
        SESSION_PERMANENT: false,
        SESSION_USE_SIGNER: true,
        SECRET_KEY: SECRET,
        SESSION_KEY_PREFIX: 'app1:',
        SESSION_ID_LENGTH: 24,
        SESSION_COOKIE_NAME: 'sid',
        SESSION_COOKIE_DOMAIN: 'example.com',
        SESSION_COOKIE_PATH: '/app',
        SESSION_COOKIE_HTTPONLY: false,
        SESSION_COOKIE_SECURE: true,
        SESSION_COOKIE_SAMESITE: 'Strict',
        PERMANENT_SESSION_LIFETIME: 3600,
        SESSION_REFRESH_EACH_REQUEST: false,
        SESSION_SERIALIZATION_FORMAT: 'json',
        DEBUG: true, // not a session key: ignored, so a whole app config can be passed
      }),
    ).toEqual({
      type: 'memory',
      permanent: false,
      secret: [SECRET],
      keyPrefix: 'app1:',
      idLength: 24,
      cookie: { name: 'sid', domain: 'example.com', path: '/app', httpOnly: false, secure: true, sameSite: 'strict' },
      lifetime: 3600,
      refreshEachRequest: false,
      serializer: 'json',
    });
  });

  it('maps the filesystem keys, with the mode in octal', () => {
    expect(
      fromFlaskConfig({ SESSION_TYPE: 'filesystem', SESSION_FILE_DIR: '/tmp/s', SESSION_FILE_THRESHOLD: 100, SESSION_FILE_MODE: '0640' }),
    ).toEqual({ type: 'filesystem', storeOptions: { dir: '/tmp/s', threshold: 100, mode: 0o640 } });
  });

  it('SECRET_KEY without SESSION_USE_SIGNER does not sign, as in Flask-Session', () => {
    expect(fromFlaskConfig({ SECRET_KEY: SECRET }).secret).toBeUndefined();
  });

  it('SECRET_KEY_FALLBACKS still verify after a rotation', () => {
    expect(fromFlaskConfig({ SESSION_USE_SIGNER: true, SECRET_KEY: SECRET, SECRET_KEY_FALLBACKS: ['an-older-secret-key-value'] }).secret).toEqual([
      SECRET,
      'an-older-secret-key-value',
    ]);
  });

  it('the result builds a working engine, its store loaded by name', async () => {
    const engine = new SessionEngine(fromFlaskConfig({ SESSION_TYPE: 'memory', SESSION_USE_SIGNER: true, SECRET_KEY: SECRET }));
    expect(engine.store).toBeUndefined(); // still loading: nothing of a store is imported before it is named
    await engine.ready;
    expect(engine.store?.name).toBe('memory');
    const session = await engine.load(undefined);
    session.user = 'ada';
    const pending = engine.commit(session);
    await pending.persist();
    const again = await engine.load(`session=${pending.setCookies[0]!.split(';')[0]!.split('=')[1]!}`);
    expect(again.user).toBe('ada');
  });
});

describe('fromFlaskConfig: mistakes fail at start-up, saying what to change', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['SESSION_USE_SIGNER without a secret', { SESSION_USE_SIGNER: true }, /SESSION_USE_SIGNER is true but SECRET_KEY is not set/],
    ['a misspelt key', { SESSION_PERMANANT: true }, /unknown setting SESSION_PERMANANT/],
    ['an unknown type', { SESSION_TYPE: 'cassandra' }, /SESSION_TYPE must be one of null, memory, .* \(or the Flask-Session names sqlalchemy, peewee, memcache\); the value given is not/],
    ['SQLite without its file', { SESSION_TYPE: 'sqlite', SESSION_USE_SIGNER: true, SECRET_KEY: SECRET }, /SESSION_TYPE 'sqlite' needs SESSION_SQLITE_PATH: set it to the database file/],
    ['a backend key for another type', { SESSION_TYPE: 'memory', SESSION_FILE_DIR: '/tmp' }, /SESSION_FILE_DIR applies to SESSION_TYPE 'filesystem'/],
    ['a non-boolean', { SESSION_PERMANENT: 'perhaps' }, /SESSION_PERMANENT must be true or false/],
    ['a bad serializer', { SESSION_SERIALIZATION_FORMAT: 'pickle' }, /'msgpack' or 'json'/],
    ['a bad SameSite', { SESSION_COOKIE_SAMESITE: 'sometimes' }, /Lax, Strict or None/],
    ['fallbacks without signing', { SECRET_KEY_FALLBACKS: ['x'] }, /SECRET_KEY_FALLBACKS is set but nothing signs: set SESSION_SECRET, or SESSION_USE_SIGNER=true with SECRET_KEY/],
    ['SESSION_SECRET with signing turned off', { SESSION_SECRET: SECRET, SESSION_USE_SIGNER: false }, /SESSION_SECRET is set but SESSION_USE_SIGNER is false/],
    ['SESSION_SECRET beside SECRET_KEY that signs', { SESSION_SECRET: SECRET, SESSION_USE_SIGNER: true, SECRET_KEY: SECRET }, /SESSION_SECRET and SESSION_USE_SIGNER with SECRET_KEY both name the signing secret/],
  ];
  for (const [what, config, message] of cases) {
    it(what, () => {
      expect(() => fromFlaskConfig(config)).toThrow(SessionConfigError);
      expect(() => fromFlaskConfig(config)).toThrow(message);
    });
  }

  // Settings come from the environment and files: a secret put under the wrong name must not reach a log.
  it.each([
    ['SESSION_USE_SIGNER', 'true or false'],
    ['SESSION_PERMANENT', 'true or false'],
    ['SESSION_ID_LENGTH', 'an integer'],
    ['SESSION_COOKIE_SAMESITE', 'Lax, Strict or None'],
    ['SESSION_SERIALIZATION_FORMAT', "'msgpack' or 'json'"],
    ['SESSION_TYPE', 'one of null, memory'],
  ])('a wrong %s is named, with what it takes, and its value is not repeated', (key, takes) => {
    const secret = 'hunter2-Tr0ub4/d@r:x%y';
    let message = '';
    try {
      fromEnv({ [key]: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`${key} must be ${takes}`);
    expect(message).toContain('the value given is not (it is not shown, as it may be a secret)');
    for (const piece of ['hunter', 'Tr0ub4', 'd@r:x']) expect(message).not.toContain(piece);
  });
});

describe('SESSION_SECRET: the variable the README\'s examples read signs through fromEnv too', () => {
  it('signs by itself, or with SESSION_USE_SIGNER=true; SECRET_KEY_FALLBACKS still verify', () => {
    expect(fromEnv({ SESSION_SECRET: SECRET }).secret).toEqual([SECRET]);
    expect(fromEnv({ SESSION_SECRET: SECRET, SESSION_USE_SIGNER: 'true' }).secret).toEqual([SECRET]);
    expect(fromEnv({ SESSION_SECRET: SECRET, SECRET_KEY_FALLBACKS: 'an-older-secret-key-value' }).secret).toEqual([SECRET, 'an-older-secret-key-value']);
  });

  it("beside Flask's SECRET_KEY without SESSION_USE_SIGNER (the application's own key, which signs no session), SESSION_SECRET signs", () => {
    expect(fromEnv({ SESSION_SECRET: SECRET, SECRET_KEY: 'the-flask-application-key' }).secret).toEqual([SECRET]);
  });

  it('builds an engine whose cookies are signed with it', async () => {
    const engine = new SessionEngine({ ...fromEnv({ SESSION_TYPE: 'memory', SESSION_SECRET: SECRET }), logger: { warn() {}, info() {} } });
    await engine.ready;
    const session = await engine.load(undefined);
    session.user = 'ada';
    const pending = engine.commit(session);
    await pending.persist();
    expect(pending.setCookies[0]).toMatch(/^session=[\w-]+\.[\w-]+;/);
  });
});

describe('a store chosen by type that cannot be set up fails at start-up', () => {
  const logger = { warn() {}, info() {} };
  it("type 'sqlite' without path or database throws from the constructor, naming the options", () => {
    expect(() => new SessionEngine({ type: 'sqlite', logger })).toThrow(SessionConfigError);
    expect(() => new SessionEngine({ type: 'sqlite', storeOptions: { table: 'web' }, logger })).toThrow(
      /type 'sqlite' needs its database: set storeOptions\.path \(a file, such as '\.\/data\/sessions\.db'\) or storeOptions\.database/,
    );
  });

  it('a failure once the store is loaded rejects `ready` for an application that awaits it (which then handles it: the process is not stopped)', async () => {
    const engine = new SessionEngine({ type: 'filesystem', storeOptions: { threshold: 0 }, logger });
    await expect(engine.ready).rejects.toThrow(/filesystemStore: threshold must be a positive integer/);
    await expect(engine.load(undefined)).rejects.toThrow(/filesystemStore: threshold must be a positive integer/);
  });
});

describe('fromEnv', () => {
  it('reads strings as the seeds mean them', () => {
    expect(
      fromEnv({
        SESSION_TYPE: 'filesystem',
        SESSION_FILE_DIR: './sessions',
        SESSION_FILE_MODE: '0600',
        SESSION_PERMANENT: 'false',
        SESSION_USE_SIGNER: '1',
        SECRET_KEY: SECRET,
        PERMANENT_SESSION_LIFETIME: '7d',
        SESSION_COOKIE_SECURE: 'auto',
        SESSION_MANAGER: 'local/host:@/tmp/.ICE-unix/1', // the desktop's, not ours
        PATH: '/usr/bin',
      }),
    ).toEqual({
      type: 'filesystem',
      storeOptions: { dir: './sessions', mode: 0o600 },
      permanent: false,
      secret: [SECRET],
      lifetime: '7d',
      cookie: { secure: 'auto' },
    });
  });

  it('fails on a misspelt variable', () => {
    expect(() => fromEnv({ SESSION_TYP: 'memory' })).toThrow(/unknown setting SESSION_TYP/);
  });

  it('SESSION_USER_FIELD and SESSION_LISTED_FIELDS name the user and the listed fields', () => {
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_USER_FIELD: 'passport.user', SESSION_LISTED_FIELDS: 'agent, ip' })).toEqual({
      type: 'memory',
      userField: 'passport.user',
      listedFields: ['agent', 'ip'],
    });
    expect(fromFlaskConfig({ SESSION_USER_FIELD: 'user_id', SESSION_LISTED_FIELDS: ['agent'] })).toEqual({ userField: 'user_id', listedFields: ['agent'] });
    expect(() => new SessionEngine(fromEnv({ SESSION_TYPE: 'memory', SESSION_LISTED_FIELDS: 'agent' }))).toThrow(/listedFields is set without userField/);
  });

  it('SESSION_FRESHNESS turns step-up freshness on: a session then records markAuthenticated()', async () => {
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_FRESHNESS: 'true' })).toEqual({ type: 'memory', freshness: true });
    expect(fromFlaskConfig({ SESSION_FRESHNESS: false })).toEqual({ freshness: false });
    expect(() => fromEnv({ SESSION_FRESHNESS: 'soon' })).toThrow(/SESSION_FRESHNESS must be true or false/);
    const engine = new SessionEngine({ ...fromEnv({ SESSION_TYPE: 'memory', SESSION_FRESHNESS: '1' }), logger: { warn() {}, info() {} } });
    await engine.ready;
    const session = await engine.load(undefined);
    session.markAuthenticated();
    expect(session.authenticatedAt).toBeInstanceOf(Date);
  });

  it('SESSION_MAX_PER_USER and SESSION_ON_LIMIT limit the sessions of one user, checked at start-up', () => {
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_USER_FIELD: 'user_id', SESSION_MAX_PER_USER: '3', SESSION_ON_LIMIT: 'refuse' })).toEqual({
      type: 'memory',
      userField: 'user_id',
      maxSessionsPerUser: 3,
      onLimit: 'refuse',
    });
    expect(fromFlaskConfig({ SESSION_USER_FIELD: 'user_id', SESSION_MAX_PER_USER: 5 })).toEqual({ userField: 'user_id', maxSessionsPerUser: 5 });
    expect(() => fromEnv({ SESSION_MAX_PER_USER: 'three' })).toThrow(/SESSION_MAX_PER_USER must be an integer/);
    const quiet = { warn() {}, info() {} };
    expect(() => new SessionEngine({ ...fromEnv({ SESSION_TYPE: 'memory', SESSION_MAX_PER_USER: '3' }), logger: quiet })).toThrow(/set userField too/);
    expect(() => new SessionEngine({ ...fromEnv({ SESSION_TYPE: 'memory', SESSION_USER_FIELD: 'u', SESSION_MAX_PER_USER: '0' }), logger: quiet })).toThrow(
      /maxSessionsPerUser must be a whole number of sessions, 1 or more, got 0/,
    );
    expect(() => new SessionEngine({ ...fromEnv({ SESSION_TYPE: 'memory', SESSION_USER_FIELD: 'u', SESSION_MAX_PER_USER: '2', SESSION_ON_LIMIT: 'oldest' }), logger: quiet })).toThrow(
      /onLimit must be 'evict-oldest' or 'refuse', got oldest/,
    );
  });

  it('SESSION_ENCRYPT seals records with the signing secret; SESSION_ENCRYPT_READ_PLAINTEXT is the switch-over', async () => {
    const secret = 'flask-config-encrypt-secret-0123456789';
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_ENCRYPT: 'true' })).toEqual({ type: 'memory', encrypt: true });
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_ENCRYPT: 'off' })).toEqual({ type: 'memory', encrypt: false });
    expect(fromEnv({ SESSION_ENCRYPT: '1', SESSION_ENCRYPT_READ_PLAINTEXT: 'yes' })).toEqual({ encrypt: { readPlaintext: true } });
    expect(fromFlaskConfig({ SESSION_ENCRYPT: true, SESSION_ENCRYPT_READ_PLAINTEXT: false })).toEqual({ encrypt: true });
    expect(() => fromEnv({ SESSION_ENCRYPT_READ_PLAINTEXT: 'true' })).toThrow(/SESSION_ENCRYPT is not: set SESSION_ENCRYPT=true/);
    expect(() => fromEnv({ SESSION_ENCRYPT: 'maybe' })).toThrow(/SESSION_ENCRYPT must be true or false/);
    expect(() => new SessionEngine(fromEnv({ SESSION_TYPE: 'memory', SESSION_ENCRYPT: 'true' }))).toThrow(/"encrypt" needs secrets/);
    const engine = new SessionEngine(fromEnv({ SESSION_TYPE: 'memory', SESSION_SECRET: secret, SESSION_ENCRYPT: 'true' }));
    await engine.ready;
    expect(engine.store).toBeInstanceOf(EncryptedStore);
  });

  it('SESSION_CSRF turns the CSRF check on or off', () => {
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_CSRF: 'true' })).toEqual({ type: 'memory', csrf: true });
    expect(fromFlaskConfig({ SESSION_TYPE: 'memory', SESSION_CSRF: false })).toEqual({ type: 'memory', csrf: false });
    expect(() => fromEnv({ SESSION_TYPE: 'memory', SESSION_CSRF: 'maybe' })).toThrow(/SESSION_CSRF/);
  });

  it('SESSION_LOCK turns the per-session lock on, SESSION_LOCK_WAIT and SESSION_LOCK_LEASE tune it', () => {
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_LOCK: 'true' })).toEqual({ type: 'memory', lock: true });
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_LOCK: 'false' })).toEqual({ type: 'memory', lock: false });
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_LOCK: '1', SESSION_LOCK_LEASE: '30s' })).toEqual({ type: 'memory', lock: { lease: '30s' } });
    expect(fromFlaskConfig({ SESSION_LOCK: true, SESSION_LOCK_WAIT: 2, SESSION_LOCK_LEASE: 20 })).toEqual({ lock: { wait: 2, lease: 20 } });
    expect(() => fromEnv({ SESSION_LOCK_WAIT: '2s' })).toThrow(/SESSION_LOCK is not: set SESSION_LOCK=true/);
    expect(() => new SessionEngine(fromEnv({ SESSION_TYPE: 'memory', SESSION_LOCK: 'yes', SESSION_LOCK_LEASE: '10ms' }))).toThrow(/lock\.lease must be at least one second/);
  });

  it('SESSION_HASH_ID_IN_STORE turns hashIds on; SESSION_HASH_ID_READ_RAW_KEYS=false stops reading raw keys', async () => {
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_HASH_ID_IN_STORE: 'true' })).toEqual({ type: 'memory', hashIds: true });
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_HASH_ID_IN_STORE: 'false' })).toEqual({ type: 'memory', hashIds: false });
    expect(fromEnv({ SESSION_HASH_ID_IN_STORE: '1', SESSION_HASH_ID_READ_RAW_KEYS: 'false' })).toEqual({ hashIds: { readRawKeys: false } });
    expect(fromFlaskConfig({ SESSION_HASH_ID_IN_STORE: true })).toEqual({ hashIds: true });
    expect(() => fromEnv({ SESSION_HASH_ID_READ_RAW_KEYS: 'false' })).toThrow(/SESSION_HASH_ID_IN_STORE is not: set SESSION_HASH_ID_IN_STORE=true/);
    expect(() => fromEnv({ SESSION_HASH_ID_IN_STORE: 'sometimes' })).toThrow(/SESSION_HASH_ID_IN_STORE must be true or false/);
    // The engine it builds keeps no id in a key.
    const engine = new SessionEngine({ ...fromEnv({ SESSION_TYPE: 'memory', SESSION_SECRET: SECRET, SESSION_HASH_ID_IN_STORE: 'true' }), logger: { warn() {}, info() {} } });
    await engine.ready;
    const session = await engine.load(undefined);
    session.user = 'ada';
    await engine.commit(session).persist();
    const keys: string[] = [];
    for await (const key of engine.store!.keys!('')) keys.push(key);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(session.id);
  });

  it('SESSION_ABSOLUTE_LIFETIME sets the absolute timeout, and a bad one fails at start-up', () => {
    expect(fromEnv({ SESSION_TYPE: 'memory', SESSION_ABSOLUTE_LIFETIME: '8h' })).toEqual({ type: 'memory', absoluteLifetime: '8h' });
    expect(fromFlaskConfig({ SESSION_TYPE: 'memory', SESSION_ABSOLUTE_LIFETIME: 28_800 })).toEqual({ type: 'memory', absoluteLifetime: 28_800 });
    expect(() => new SessionEngine({ ...fromEnv({ SESSION_TYPE: 'memory', SESSION_ABSOLUTE_LIFETIME: 'soon' }), logger: { warn() {}, info() {} } })).toThrow(
      /SESSION_ABSOLUTE_LIFETIME|absoluteLifetime/,
    );
  });
});

describe('engine options: contradictions fail at construction', () => {
  const cases: [string, ConstructorParameters<typeof SessionEngine>[0], RegExp][] = [
    ['a short secret', { secret: 'short' }, /at least 16 characters/],
    ['an empty secret list', { secret: [] }, /empty array/],
    ['SameSite=None without Secure', { cookie: { sameSite: 'none' } }, /needs cookie.secure/],
    ['a __Host- cookie with a domain', { cookie: { name: '__Host-s', secure: true, domain: 'x.com' } }, /__Host-/],
    ['a __Secure- cookie without Secure', { cookie: { name: '__Secure-s' } }, /__Secure-/],
    ['an unknown option', { permanant: true } as never, /unknown option "permanant"/],
    ['an unknown cookie option', { cookie: { maxage: 1 } } as never, /unknown cookie option "maxage"/],
    ['store and type together', { type: 'memory', store: { name: 'x', get: async () => undefined, set: async () => undefined, delete: async () => {} } }, /not both/],
    ['a tiny idLength', { idLength: 8 }, /idLength/],
    ['a bad lifetime', { lifetime: '31 days' }, /not a duration/],
    ['an unknown type', { type: 'cassandra' as never }, /unknown store type "cassandra"/],
  ];
  for (const [what, options, message] of cases) {
    it(what, () => {
      expect(() => new SessionEngine({ logger: { warn() {}, info() {} }, ...options })).toThrow(message);
    });
  }
});

describe('parseDuration', () => {
  it('reads seconds and unit strings', () => {
    expect(parseDuration(60, 'x')).toBe(60_000);
    expect(parseDuration('31d', 'x')).toBe(31 * 86_400_000);
    expect(parseDuration('1d12h', 'x')).toBe(36 * 3_600_000);
    expect(parseDuration('500ms', 'x')).toBe(500);
    expect(parseDuration('2678400', 'x')).toBe(2_678_400_000);
  });
  it('rejects nonsense', () => {
    expect(() => parseDuration('soon', 'lifetime')).toThrow(/lifetime "soon" is not a duration/);
    expect(() => parseDuration(-1, 'lifetime')).toThrow(/non-negative/);
  });
});

describe('fromFlaskConfig: server backends', () => {
  it('SESSION_TYPE sqlalchemy and peewee are the SQL store, with its keys', () => {
    const pool = { query: () => undefined };
    expect(
      fromFlaskConfig({
        SESSION_TYPE: 'sqlalchemy',
        SESSION_SQLALCHEMY: pool,
        SESSION_SQLALCHEMY_TABLE: 'web_sessions',
        SESSION_SQLALCHEMY_SCHEMA: 'app',
        SESSION_CLEANUP_N_REQUESTS: 500,
      }),
    ).toEqual({ type: 'sql', storeOptions: { client: pool, table: 'web_sessions', schema: 'app', sweepEveryNRequests: 500 } });
    expect(fromFlaskConfig({ SESSION_TYPE: 'peewee', SESSION_PEEWEE_TABLE: 't', SESSION_AUTODELETE: true }).storeOptions).toEqual({
      table: 't',
      sweepEveryNRequests: 1000,
    });
  });

  it('keys without an equivalent say why', () => {
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'sqlalchemy', SESSION_SQLALCHEMY_SEQUENCE: 'seq' })).toThrow(/primary key/);
  });

  it('a client-less sql type fails at start-up', () => {
    expect(() => new SessionEngine({ ...fromFlaskConfig({ SESSION_TYPE: 'sqlalchemy' }), logger: { warn() {}, info() {} } })).toThrow(
      /type 'sql' needs your database client/,
    );
  });

  it('builds the DynamoDB client from the seeds connection keys', async () => {
    const options = fromFlaskConfig({
      SESSION_TYPE: 'dynamodb',
      SESSION_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      SESSION_DYNAMODB_REGION: 'eu-west-1',
      SESSION_DYNAMODB_KEY_ID: 'id',
      SESSION_DYNAMODB_SECRET: 'secret',
      SESSION_DYNAMODB_TABLE: 'web',
    });
    const { client, table } = options.storeOptions as { client: { config: { region: () => Promise<string> } }; table: string };
    expect(table).toBe('web');
    expect(await client.config.region()).toBe('eu-west-1');
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'dynamodb', SESSION_DYNAMODB_KEY_ID: 'id' })).toThrow(/go together/);
  });
});

describe('fromFlaskConfig: redis', () => {
  it('SESSION_REDIS is the client of the redis store', () => {
    const client = { sendCommand: () => undefined };
    expect(fromFlaskConfig({ SESSION_TYPE: 'redis', SESSION_REDIS: client })).toEqual({ type: 'redis', storeOptions: { client } });
  });
});

describe('fromFlaskConfig: firestore', () => {
  const logger = { warn() {}, info() {} };

  it('SESSION_FIRESTORE is the client, SESSION_FIRESTORE_COLLECT the collection', () => {
    const client = { collection: () => undefined };
    expect(fromFlaskConfig({ SESSION_TYPE: 'firestore', SESSION_FIRESTORE: client, SESSION_FIRESTORE_COLLECT: 'web_sessions' })).toEqual({
      type: 'firestore',
      storeOptions: { client, collection: 'web_sessions' },
    });
    expect(fromEnv({ SESSION_TYPE: 'firestore', SESSION_FIRESTORE_COLLECT: 'web_sessions' })).toEqual({
      type: 'firestore',
      storeOptions: { collection: 'web_sessions' },
    });
  });

  it("builds the store by name on your Firestore, in collection 'sessions' unless SESSION_FIRESTORE_COLLECT names another", async () => {
    const { Firestore } = await import('@google-cloud/firestore');
    const client = new Firestore({ projectId: 'sessionkit-test', host: '127.0.0.1:9', ssl: false }); // never sent a request
    try {
      for (const [config, collection] of [[{}, 'sessions'], [{ SESSION_FIRESTORE_COLLECT: 'web' }, 'web']] as const) {
        const engine = new SessionEngine({ ...fromFlaskConfig({ SESSION_TYPE: 'firestore', SESSION_FIRESTORE: client, ...config }), logger });
        await engine.ready;
        const store = engine.store as unknown as { name: string; collection: string };
        expect([store.name, store.collection]).toEqual(['firestore', collection]);
      }
    } finally {
      await client.terminate();
    }
  });

  it('without a client, with a client that is not a Firestore, or with a key for another type, it fails at start-up', async () => {
    expect(() => new SessionEngine({ ...fromFlaskConfig({ SESSION_TYPE: 'firestore' }), logger })).toThrow(/type 'firestore' needs your database client/);
    expect(() => fromEnv({ SESSION_TYPE: 'firestore', SESSION_FIRESTORE: 'localhost:8080' })).toThrow(/SESSION_FIRESTORE must be a client instance/);
    const engine = new SessionEngine({ ...fromFlaskConfig({ SESSION_TYPE: 'firestore', SESSION_FIRESTORE: { project: 'x' } }), logger });
    await expect(engine.ready).rejects.toThrow(/firestoreStore: pass `client`, a Firestore from @google-cloud\/firestore/);
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'redis', SESSION_FIRESTORE_COLLECT: 'web' })).toThrow(
      /SESSION_FIRESTORE_COLLECT applies to SESSION_TYPE 'firestore'/,
    );
  });
});

describe('fromFlaskConfig: memcached', () => {
  it('SESSION_MEMCACHED is a client of yours, or the servers as host:port', () => {
    const client = { gets: () => undefined };
    expect(fromFlaskConfig({ SESSION_TYPE: 'memcached', SESSION_MEMCACHED: client })).toEqual({ type: 'memcached', storeOptions: { client } });
    expect(fromFlaskConfig({ SESSION_TYPE: 'memcached', SESSION_MEMCACHED: ['10.0.0.1:11211', '10.0.0.2:11211'] })).toEqual({
      type: 'memcached',
      storeOptions: { servers: ['10.0.0.1:11211', '10.0.0.2:11211'] },
    });
    expect(fromEnv({ SESSION_TYPE: 'memcached', SESSION_MEMCACHED: 'cache1:11211, cache2:11212' })).toEqual({
      type: 'memcached',
      storeOptions: { servers: ['cache1:11211', 'cache2:11212'] },
    });
  });

  it("flask-session-plus's 'memcache' is the memcached store", () => {
    expect(fromFlaskConfig({ SESSION_TYPE: 'memcache' }).type).toBe('memcached');
  });

  it('a bad SESSION_MEMCACHED, or one for another type, fails at start-up', () => {
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'memcached', SESSION_MEMCACHED: 'localhost' })).toThrow(/MemcacheClient or "host:port"/);
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'redis', SESSION_MEMCACHED: '127.0.0.1:11211' })).toThrow(
      /SESSION_MEMCACHED applies to SESSION_TYPE 'memcached'/,
    );
  });

  it('builds the store by name, on the servers given', async () => {
    const engine = new SessionEngine({ ...fromEnv({ SESSION_TYPE: 'memcached', SESSION_MEMCACHED: '127.0.0.1:1' }), logger: { warn() {}, info() {} } });
    await engine.ready;
    const store = engine.store!;
    expect(store.name).toBe('memcached');
    // Nothing listens on port 1: the store's own client for that server fails, quickly.
    await expect(store.get('session:x')).rejects.toThrow(/memcached at 127\.0\.0\.1:1 up and reachable/);
    await store.close?.();
  });
});

describe('fromFlaskConfig: mongodb', () => {
  it('SESSION_MONGODB is the client, SESSION_MONGODB_DB and SESSION_MONGODB_COLLECT the database and collection', () => {
    const client = { db: () => undefined };
    expect(fromFlaskConfig({ SESSION_TYPE: 'mongodb', SESSION_MONGODB: client, SESSION_MONGODB_DB: 'app', SESSION_MONGODB_COLLECT: 'web' })).toEqual({
      type: 'mongodb',
      storeOptions: { client, db: 'app', collection: 'web' },
    });
    expect(fromEnv({ SESSION_TYPE: 'mongodb', SESSION_MONGODB_DB: 'app', SESSION_MONGODB_COLLECT: 'web' })).toEqual({
      type: 'mongodb',
      storeOptions: { db: 'app', collection: 'web' },
    });
  });

  it("without SESSION_MONGODB_DB and SESSION_MONGODB_COLLECT the store uses the seeds' defaults, 'flask_session' and 'sessions'", async () => {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient('mongodb://127.0.0.1:1/?directConnection=true'); // never connected
    const engine = new SessionEngine({ ...fromFlaskConfig({ SESSION_TYPE: 'mongodb', SESSION_MONGODB: client }), logger: { warn() {}, info() {} } });
    await engine.ready;
    const store = engine.store as unknown as { name: string; db: string; collectionName: string };
    expect([store.name, store.db, store.collectionName]).toEqual(['mongodb', 'flask_session', 'sessions']);
  });

  it('without a client, or with a key for another type, it fails at start-up', () => {
    expect(() => new SessionEngine({ ...fromFlaskConfig({ SESSION_TYPE: 'mongodb' }), logger: { warn() {}, info() {} } })).toThrow(
      /type 'mongodb' needs your database client/,
    );
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'redis', SESSION_MONGODB_DB: 'app' })).toThrow(/SESSION_MONGODB_DB applies to SESSION_TYPE 'mongodb'/);
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'mongodb', SESSION_MONGODB: 'mongodb://127.0.0.1' })).toThrow(/SESSION_MONGODB must be a client instance/);
  });
});

describe('Elasticsearch: no store is shipped, and choosing it says why', () => {
  const why = /ships no Elasticsearch store: no Elasticsearch server can run where sessionkit is built and tested.*use type 'redis', 'sql' \(PostgreSQL, MariaDB\/MySQL\), 'mongodb' or 'dynamodb'/;
  it('SESSION_TYPE=elasticsearch, in a config object and in the environment', () => {
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'elasticsearch' })).toThrow(SessionConfigError);
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'elasticsearch' })).toThrow(why);
    expect(() => fromEnv({ SESSION_TYPE: 'Elasticsearch' })).toThrow(why);
  });
  it("type: 'elasticsearch' given to the engine", () => {
    expect(() => new SessionEngine({ type: 'elasticsearch' as never, logger: { warn() {}, info() {} } })).toThrow(SessionConfigError);
    expect(() => new SessionEngine({ type: 'elasticsearch' as never, logger: { warn() {}, info() {} } })).toThrow(why);
  });
  it("Flask-Session2's Elasticsearch keys", () => {
    for (const key of ['SESSION_ELASTICSEARCH', 'SESSION_ELASTICSEARCH_HOST', 'SESSION_ELASTICSEARCH_INDEX']) {
      expect(() => fromFlaskConfig({ [key]: 'x' })).toThrow(new RegExp(`${key} configures Elasticsearch: sessionkit ${why.source}`));
    }
  });
});

describe('fromFlaskConfig: datastore (Flask-Session2)', () => {
  const logger = { warn() {}, info() {} };
  /** The project a built Datastore client is for (the SDK keeps its constructor options). */
  const projectOf = (options: { storeOptions?: unknown }) => (options.storeOptions as { client: { options: { projectId?: string } } }).client.options.projectId;

  it('GCLOUD_APP_PROJECT_ID is the project of the Datastore client built for SESSION_TYPE datastore, in a config object and in the environment', async () => {
    const { Datastore } = await import('@google-cloud/datastore');
    const options = fromFlaskConfig({ SESSION_TYPE: 'datastore', GCLOUD_APP_PROJECT_ID: 'my-project' });
    expect(options.type).toBe('datastore');
    expect((options.storeOptions as { client: unknown }).client).toBeInstanceOf(Datastore);
    expect(projectOf(options)).toBe('my-project');
    expect(projectOf(fromEnv({ SESSION_TYPE: 'datastore', GCLOUD_APP_PROJECT_ID: 'env-project' }))).toBe('env-project');
  });

  it("without GCLOUD_APP_PROJECT_ID the client's project is the environment's, as with Flask-Session2's datastore.Client()", () => {
    const options = fromEnv({ SESSION_TYPE: 'datastore' });
    expect(projectOf(options)).toBeUndefined();
    expect((options.storeOptions as { client: unknown }).client).toBeDefined();
  });

  it("builds the store by name: kind 'session' (Flask-Session2's), the default namespace", async () => {
    const engine = new SessionEngine({ ...fromFlaskConfig({ SESSION_TYPE: 'datastore', GCLOUD_APP_PROJECT_ID: 'sessionkit-test' }), logger });
    await engine.ready; // no request is sent before the first session
    const store = engine.store as unknown as { name: string; kind: string; namespace: string | undefined };
    expect([store.name, store.kind, store.namespace]).toEqual(['datastore', 'session', undefined]);
  });

  it('GCLOUD_APP_PROJECT_ID is left alone for the other types (other Google libraries read it too); empty in a config object it fails', () => {
    expect(fromFlaskConfig({ SESSION_TYPE: 'memory', GCLOUD_APP_PROJECT_ID: 'my-project' })).toEqual({ type: 'memory' });
    expect(fromEnv({ GCLOUD_APP_PROJECT_ID: 'my-project' })).toEqual({});
    expect(() => fromFlaskConfig({ SESSION_TYPE: 'datastore', GCLOUD_APP_PROJECT_ID: '' })).toThrow(/GCLOUD_APP_PROJECT_ID must be a non-empty string/);
  });

  it("type: 'datastore' given to the engine without a client fails at start-up", () => {
    expect(() => new SessionEngine({ type: 'datastore', logger })).toThrow(/type 'datastore' needs your database client/);
  });
});
