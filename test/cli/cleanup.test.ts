/**
 * `sessionkit cleanup`, the real bin as a child process, against real backends: SQLite and
 * the filesystem in temporary places, PostgreSQL, MariaDB, dynalite and Google's Firestore
 * and Datastore emulators started by the harness. Each backend: expired and live sessions
 * planted with the store's own API, a dry run that removes nothing, a run in small batches
 * (its summary's numbers), a second run that finds nothing; and the same command against
 * a port nothing listens on, which must exit 1 with the store's message within seconds.
 * MongoDB has no server here (see test/stores/mongodb.test.ts): its cleanup is not run.
 */
import { Datastore } from '@google-cloud/datastore';
import { Firestore } from '@google-cloud/firestore';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store.js';
import { DatastoreStore } from '../../src/stores/datastore/index.js';
import { DynamoDBStore } from '../../src/stores/dynamodb/index.js';
import { FileSystemStore } from '../../src/stores/filesystem/index.js';
import { FirestoreStore } from '../../src/stores/firestore/index.js';
import { sqlStore } from '../../src/stores/sql/index.js';
import { sqliteStore } from '../../src/stores/sqlite/index.js';
import { DATASTORE_EMULATORS } from '../servers/datastore.js';
import { DYNALITE_REQUIRES, startDynalite } from '../servers/dynalite.js';
import { FIRESTORE_REQUIRES, startFirestoreEmulator } from '../servers/firestore.js';
import { MARIADB_REQUIRES, startMariadb } from '../servers/mariadb.js';
import { getFreePort, LOOPBACK } from '../servers/ports.js';
import { POSTGRES_REQUIRES, startPostgres } from '../servers/postgres.js';
import { describeWithServer } from '../servers/suite.js';
import { cleanupJson, runCli } from './run-cli.js';

const quiet = { warn: () => {}, info: () => {} };
const HOUR = 3_600_000;
const record = (expiresAt: number) => ({ data: new TextEncoder().encode('{"user":"ada"}'), expiresAt });
/** A store's failure must end the command in seconds: the store's timeout (5 s) and the client's set-up, with room for a loaded machine. */
const DOWN_WITHIN_MS = 20_000;

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sessionkit-cli-${label}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Invocation {
  args: string[];
  env?: Record<string, string>;
}

interface Backend {
  /** The store's name in the summary. */
  name: string;
  /** Closes the test's own clients, before the server stops. */
  close?: () => Promise<unknown>;
  /** A store on the backend the command cleans, for planting and checking (closed by the caller's afterAll). */
  store: Store;
  /** The command's flags and environment for that backend. */
  cli: Invocation;
}

/**
 * The scenarios every backend runs. `backend` is built once (in the first test); `down`
 * names the same kind of store where nothing answers.
 */
function cleanupScenarios(open: () => Promise<Backend>, down: () => Promise<Invocation>): void {
  let backend: Backend | undefined;
  const ready = async () => (backend ??= await open());
  afterAll(async () => {
    await backend?.close?.();
  });

  it('a dry run counts and removes nothing; a run in batches of 3 removes the 7 expired sessions and keeps the 3 live ones', async () => {
    const { name, store, cli } = await ready();
    const expired = Array.from({ length: 7 }, (_, i) => `session:expired-${i}`);
    const live = Array.from({ length: 3 }, (_, i) => `session:live-${i}`);
    for (const key of expired) await store.set(key, record(Date.now() - 60_000 - 1000 * expired.indexOf(key)));
    for (const key of live) await store.set(key, record(Date.now() + HOUR));

    const dry = await cleanupJson([...cli.args, '--dry-run', '--batch-size', '3'], cli.env);
    expect(dry).toMatchObject({ store: name, dryRun: true, expired: 7, removed: 0, batches: 0 });
    expect(await store.countExpired!(), 'the dry run removed nothing').toBe(7);

    const run = await runCli(['cleanup', ...cli.args, '--batch-size', '3'], cli.env);
    expect(run.stderr, 'no progress line when stderr is not a terminal').toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^sessionkit cleanup: removed 7 expired sessions from ${name} in 3 batches \\(\\d+(\\.\\d)? m?s\\)\\.\\n$`));
    expect(await store.countExpired!()).toBe(0);
    for (const key of live) expect(await store.get(key), key).toBeDefined();

    const again = await cleanupJson([...cli.args, '--batch-size', '3'], cli.env);
    expect(again).toMatchObject({ store: name, removed: 0, batches: 1 });
    for (const key of live) await store.delete(key);
  });

  it('--max-batches stops a run early and says so', async () => {
    const { store, cli } = await ready();
    for (let i = 0; i < 5; i++) await store.set(`session:old-${i}`, record(Date.now() - 60_000));
    const run = await runCli(['cleanup', ...cli.args, '--batch-size', '2', '--max-batches', '1'], cli.env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('removed 2 expired sessions');
    expect(run.stdout).toContain('Stopped at --max-batches: expired sessions may be left.');
    expect(await store.countExpired!()).toBe(3);
    expect(await cleanupJson(cli.args, cli.env)).toMatchObject({ removed: 3, batches: 1 });
  });

  it('exits 1 with the store’s message, within seconds, when nothing answers', async () => {
    const { name } = await ready();
    const { args, env } = await down();
    const result = await runCli(['cleanup', ...args], env);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^sessionkit cleanup: failed: /);
    expect(result.stderr).toContain(`[sessionkit:${name}]`);
    expect(result.ms).toBeLessThan(DOWN_WITHIN_MS);
  }, DOWN_WITHIN_MS + 10_000);
}

/** A loopback port nothing listens on (free when asked; nothing of ours binds it). */
const deadPort = () => getFreePort();

describe('sessionkit cleanup on SQLite', () => {
  const dir = tempDir('sqlite');
  const path = join(dir, 'sessions.db');
  cleanupScenarios(
    async () => {
      const store = sqliteStore({ path, sweepEvery: 0, logger: quiet });
      cleanups.push(() => store.close());
      // The application's environment in a file, as a cron job would source it.
      const envFile = join(dir, 'app.env');
      writeFileSync(envFile, `SESSION_TYPE=sqlite\nSESSION_SQLITE_PATH=${path}\nSECRET_KEY=not-needed-here\n`);
      return { name: 'sqlite', store, cli: { args: ['--env-from', envFile] } };
    },
    async () => {
      // A file that is not a database: every statement fails.
      const bad = join(dir, 'not-a-database.db');
      writeFileSync(bad, 'this is not an SQLite database, it is text and long enough to be read as a header');
      return { args: ['--type', 'sqlite', '--path', bad] };
    },
  );
});

describe('sessionkit cleanup on the filesystem', () => {
  const dir = join(tempDir('files'), 'sessions');
  cleanupScenarios(
    async () => {
      const store = new FileSystemStore({ dir, logger: quiet });
      return { name: 'filesystem', store, cli: { args: [], env: { SESSION_TYPE: 'filesystem', SESSION_FILE_DIR: dir } } };
    },
    async () => {
      // The directory is a file: listing it fails.
      const file = join(tempDir('files-down'), 'sessions');
      writeFileSync(file, '');
      return { args: ['--type', 'filesystem', '--dir', file] };
    },
  );

  it('removes stale temporary files (a killed writer’s) and counts them, and leaves a fresh one alone', async () => {
    mkdirSync(dir, { recursive: true });
    const stale = join(dir, `${'a'.repeat(64)}.${'0'.repeat(12)}.tmp`);
    const fresh = join(dir, `${'b'.repeat(64)}.${'1'.repeat(12)}.tmp`);
    writeFileSync(stale, 'half a session');
    writeFileSync(fresh, 'a write in progress');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(stale, twoMinutesAgo, twoMinutesAgo);

    const dry = await cleanupJson(['--type', 'filesystem', '--dir', dir, '--dry-run']);
    expect(dry).toMatchObject({ expired: 0, leftovers: { 'stale temporary files': 1 } });
    expect(readdirSync(dir).sort()).toEqual([stale, fresh].map((path) => path.slice(dir.length + 1)).sort());

    const run = await runCli(['cleanup', '--type', 'filesystem', '--dir', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('removed 0 expired sessions, and 1 stale temporary files from filesystem in 1 batch');
    expect(readdirSync(dir)).toEqual([fresh.slice(dir.length + 1)]);
  });
});

describeWithServer('sessionkit cleanup on PostgreSQL', { requires: POSTGRES_REQUIRES, start: () => startPostgres() }, (server) => {
  cleanupScenarios(
    async () => {
      const pool = new pg.Pool({ connectionString: server().connectionString });
      pool.on('error', () => {});
      return { name: 'sql:postgres', close: () => pool.end(), store: sqlStore({ client: pool, table: 'cli_sessions' }), cli: { args: ['--type', 'sql', '--url', server().connectionString, '--table', 'cli_sessions'] } };
    },
    async () => ({ args: ['--type', 'sqlalchemy', '--url', `postgres://postgres@${LOOPBACK}:${await deadPort()}/postgres`] }),
  );
});

describeWithServer('sessionkit cleanup on MariaDB', { requires: MARIADB_REQUIRES, start: () => startMariadb() }, (server) => {
  cleanupScenarios(
    async () => {
      const pool = mysql.createPool({ uri: server().connectionString });
      return {
        name: 'sql:mysql',
        close: () => pool.end(),
        store: sqlStore({ client: pool, table: 'cli_sessions' }),
        // The seeds' table key from the environment, the database from the flag.
        cli: { args: ['--type', 'sql', '--url', server().connectionString.replace(/^mysql:/, 'mariadb:')], env: { SESSION_SQLALCHEMY_TABLE: 'cli_sessions' } },
      };
    },
    async () => ({ args: ['--type', 'sql', '--url', `mysql://root@${LOOPBACK}:${await deadPort()}/test`] }),
  );
});

describeWithServer('sessionkit cleanup on DynamoDB (dynalite)', { requires: DYNALITE_REQUIRES, start: () => startDynalite() }, (server) => {
  /** The seeds' SESSION_DYNAMODB_* keys: the environment a Flask-Session application has. */
  const seedEnv = (endpoint: string) => ({
    SESSION_TYPE: 'dynamodb',
    SESSION_DYNAMODB_ENDPOINT: endpoint,
    SESSION_DYNAMODB_REGION: server().region,
    SESSION_DYNAMODB_KEY_ID: server().credentials.accessKeyId,
    SESSION_DYNAMODB_SECRET: server().credentials.secretAccessKey,
    SESSION_DYNAMODB_TABLE: 'cli_sessions',
    // The SDK warns on stderr that its releases after January 2027 need Node 22; stderr is checked here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  cleanupScenarios(
    async () => {
      await server().createTable({
        TableName: 'cli_sessions',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
      const client = new DynamoDBClient({ endpoint: server().endpoint, region: server().region, credentials: server().credentials });
      return { name: 'dynamodb', close: async () => client.destroy(), store: new DynamoDBStore({ client, table: 'cli_sessions', logger: quiet }), cli: { args: [], env: seedEnv(server().endpoint) } };
    },
    async () => ({ args: [], env: seedEnv(`http://${LOOPBACK}:${await deadPort()}`) }),
  );
});

describeWithServer('sessionkit cleanup on the Firestore emulator', { requires: FIRESTORE_REQUIRES, start: () => startFirestoreEmulator() }, (server) => {
  cleanupScenarios(
    async () => {
      const client = new Firestore(server().clientSettings());
      return {
        name: 'firestore',
        close: () => client.terminate(),
        store: new FirestoreStore({ client, collection: 'cli_sessions', logger: quiet }),
        cli: { args: ['--type', 'firestore', '--project', server().projectId, '--collection', 'cli_sessions'], env: { FIRESTORE_EMULATOR_HOST: server().hostPort } },
      };
    },
    async () => ({ args: ['--type', 'firestore', '--project', 'sessionkit-test'], env: { FIRESTORE_EMULATOR_HOST: `${LOOPBACK}:${await deadPort()}` } }),
  );
});

for (const emulator of DATASTORE_EMULATORS) {
  describeWithServer(`sessionkit cleanup on the ${emulator.flavour}`, { requires: emulator.requires, start: () => emulator.start() }, (server) => {
    /** Flask-Session2's environment: SESSION_TYPE and GCLOUD_APP_PROJECT_ID, the emulator's host. */
    const seedEnv = (host: string) => ({ SESSION_TYPE: 'datastore', GCLOUD_APP_PROJECT_ID: server().projectId, DATASTORE_EMULATOR_HOST: host });
    cleanupScenarios(
      async () => {
        const client = new Datastore({ projectId: server().projectId, apiEndpoint: server().endpoint, namespace: 'cli' });
        return { name: 'datastore', store: new DatastoreStore({ client, logger: quiet }), cli: { args: ['--namespace', 'cli'], env: seedEnv(server().hostPort) } };
      },
      async () => ({ args: [], env: seedEnv(`${LOOPBACK}:${await deadPort()}`) }),
    );
  });
}
