/**
 * The SQL store on a real PostgreSQL (test/servers/postgres.ts), through a pg Pool, a pg
 * Client and Kysely's PostgresDialect; statements counted with pg_stat_statements.
 */
import { Kysely, PostgresDialect } from 'kysely';
import { Kysely as KyselyOldest, PostgresDialect as PostgresDialectOldest } from 'kysely-oldest';
import pg from 'pg';
import pgOldest from 'pg-oldest';
import { beforeAll, describe, expect, it } from 'vitest';
import { sqlStore } from '../../../src/stores/sql/index.js';
import { CookieJar, listen } from '../../helpers/http.js';
import { POSTGRES_REQUIRES, startPostgres } from '../../servers/postgres.js';
import { describeWithServer } from '../../servers/suite.js';
import { describeSqlConformance, describeSqlOutages, quiet, record, sqlStoreBehaviour, text, unique, type Handle } from './shared.js';
import { valueApp } from '../../helpers/value-app.js';

const PG_OLDEST = '8.0.3';

describeWithServer('sql store on PostgreSQL', { requires: POSTGRES_REQUIRES, start: () => startPostgres() }, (server) => {
  const newPool = (library = pg) => {
    const pool = new library.Pool({ connectionString: server().connectionString, max: 10 });
    pool.on('error', () => {}); // idle clients ended by a server restart (the outage tests)
    return pool;
  };
  const pool = async (): Promise<Handle> => {
    const client = newPool();
    return { client, close: () => client.end() };
  };
  const kysely = async (): Promise<Handle> => {
    const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: newPool() }) });
    return { client: db, close: () => db.destroy() };
  };
  const exec = (sql: string) => server().query(sql);

  /**
   * The harness's freeze() stops the postmaster only, and PostgreSQL's backends are processes
   * of their own: the pool's open connections would go on answering. Stop them as well.
   */
  const frozenBackends: number[] = [];
  const wholeServer = () => ({
    pause: () => server().pause(),
    resume: () => server().resume(),
    async freeze() {
      const pids = await server().query(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      await server().freeze();
      for (const pid of pids.split('\n').filter(Boolean).map(Number)) {
        process.kill(pid, 'SIGSTOP');
        frozenBackends.push(pid);
      }
    },
    async thaw() {
      for (const pid of frozenBackends.splice(0)) process.kill(pid, 'SIGCONT');
      await server().thaw();
    },
  });

  beforeAll(async () => {
    await server().query('CREATE SCHEMA app');
  });

  describeSqlConformance('sql:postgres on a pg Pool', pool, exec);
  describeSqlConformance('sql:postgres on Kysely (PostgresDialect)', kysely, exec);
  // The oldest pg the peer range claims (package.json's pg-oldest alias).
  describeSqlConformance(`sql:postgres on a pg ${PG_OLDEST} Pool (the oldest claimed)`, async () => {
    const client = newPool(pgOldest);
    return { client, close: () => client.end() };
  }, exec);
  // The oldest Kysely the peer range claims (0.27.0, package.json's kysely-oldest alias).
  describeSqlConformance('sql:postgres on Kysely 0.27.0 (the oldest claimed)', async () => {
    const db = new KyselyOldest<Record<string, never>>({ dialect: new PostgresDialectOldest({ pool: newPool() }) });
    return { client: db, close: () => db.destroy() };
  }, exec);

  describe('on a pg Pool', () => {
    sqlStoreBehaviour(() => ({ dialect: 'postgres', label: 'pg Pool', open: pool, exec, schema: 'app' }));
  });

  describe('on Kysely', () => {
    sqlStoreBehaviour(() => ({ dialect: 'postgres', label: 'Kysely', open: kysely, exec, schema: 'app' }));
  });

  describeSqlOutages('sql:postgres on a pg Pool', wholeServer, pool);
  describeSqlOutages('sql:postgres on Kysely (PostgresDialect)', wholeServer, kysely);

  it('works on a single pg Client too', async () => {
    const client = new pg.Client({ connectionString: server().connectionString });
    await client.connect();
    try {
      const store = sqlStore({ client, table: 'conformance' });
      const key = unique('client');
      expect(await store.create(key, record('one'))).toBe(true);
      const version = (await store.get(key))!.version!;
      expect(await store.setIf(key, record('two'), version)).toBe(true);
      expect(text(await store.get(key))).toBe('two');
    } finally {
      await client.end();
    }
  });

  describe('statements, counted by pg_stat_statements', () => {
    /** Calls since the last reset, by the statement's first keyword. */
    async function callsByKind(): Promise<Record<string, number>> {
      const kinds: Record<string, number> = {};
      for (const [query, calls] of Object.entries(await server().statementCounts())) {
        const kind = query.trim().split(/\s+/)[0]!.toUpperCase();
        kinds[kind] = (kinds[kind] ?? 0) + calls;
      }
      return kinds;
    }

    it('over HTTP: a new session costs one INSERT, an unmodified request one SELECT, a change one SELECT + one UPDATE', async () => {
      if (!server().statementStats) expect.fail('pg_stat_statements is not installed: apt-get install -y postgresql-contrib');
      const handle = await pool();
      const store = sqlStore({ client: handle.client, table: 'counted' });
      const http = await listen(valueApp({ store, secret: 'sql-store-test-secret-0123456789', touchAfter: '1h', logger: quiet }));
      try {
        await store.get('create-the-table-first');
        const jar = new CookieJar();
        const measure = async (path: string, expected: string) => {
          await server().resetStatementCounts();
          expect(await (await jar.fetch(`${http.url}${path}`)).text()).toBe(expected);
          return callsByKind();
        };
        expect(await measure('/set/1', 'ok')).toEqual({ INSERT: 1 });
        expect(await measure('/get', '1')).toEqual({ SELECT: 1 });
        expect(await measure('/get', '1')).toEqual({ SELECT: 1 });
        expect(await measure('/set/2', 'ok')).toEqual({ SELECT: 1, UPDATE: 1 });
        expect(await measure('/get', '2')).toEqual({ SELECT: 1 });
      } finally {
        await http.close();
        await handle.close();
      }
    });

    it('deleteExpired runs one DELETE per batch', async () => {
      const handle = await pool();
      const store = sqlStore({ client: handle.client, table: unique('batched'), batchSize: 10 });
      try {
        await Promise.all(Array.from({ length: 25 }, (_, i) => store.set(`dead${i}`, record('d', Date.now() - 1000))));
        await server().resetStatementCounts();
        expect(await store.deleteExpired()).toBe(25);
        expect(await callsByKind()).toEqual({ DELETE: 3 });
      } finally {
        await handle.close();
      }
    });
  });
});
