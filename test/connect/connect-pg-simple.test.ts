/**
 * fromConnectStore on connect-pg-simple 10 against a real PostgreSQL, its table created
 * from the package's own table.sql: the store contract and HTTP scenarios, an id column
 * limited to 36 characters (connect-session-sequelize's default) with maxIdLength, and
 * failures as StoreErrors naming the store: a refused write, and a pool that never answers.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import pg from 'pg';
import { expect, it } from 'vitest';
import { fromConnectStore } from '../../src/connect/index.js';
import { StoreError } from '../../src/core/store.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { POSTGRES_REQUIRES, startPostgres } from '../servers/postgres.js';
import { describeWithServer } from '../servers/suite.js';
import { plantExpressSession } from './helpers.js';

const PGStore = connectPgSimple(session);
const tableSql = readFileSync(createRequire(import.meta.url).resolve('connect-pg-simple/table.sql'), 'utf8');
/** The package's table.sql for another table name, optionally with a limited sid column. */
const tableFor = (table: string, sidType = 'varchar') =>
  tableSql.replaceAll('"session"', `"${table}"`).replaceAll('session_pkey', `${table}_pkey`).replaceAll('IDX_session_expire', `IDX_${table}_expire`).replace('"sid" varchar', `"sid" ${sidType}`);

describeWithServer('connect-pg-simple', { requires: POSTGRES_REQUIRES, start: () => startPostgres() }, (server) => {
  let connectStore: InstanceType<typeof PGStore> | undefined;
  let tablesMade = false;
  const tables = async () => {
    if (tablesMade) return;
    await server().query(tableFor('session'));
    await server().query(tableFor('session36', 'varchar(36)'));
    tablesMade = true;
  };
  const fixtureOn = (tableName: string, maxIdLength?: number) => async () => {
    await tables();
    const pool = new pg.Pool({ connectionString: server().connectionString });
    connectStore = new PGStore({ pool, tableName, pruneSessionInterval: false });
    return { store: fromConnectStore(connectStore, { maxIdLength }), cleanup: async () => { await pool.end(); } };
  };
  const plantForeignValue = plantExpressSession(() => connectStore!);

  describeStore('fromConnectStore(connect-pg-simple)', fixtureOn('session'), ['touch'], { plantForeignValue });
  describeSessionsOverHttp('fromConnectStore(connect-pg-simple)', fixtureOn('session'), { compareAndSet: false });
  describeStore('fromConnectStore(connect-pg-simple, sid varchar(36), maxIdLength 36)', fixtureOn('session36', 36), ['touch'], { plantForeignValue });

  it('the 36-character column holds only ids of at most 36 characters', async () => {
    const { store, cleanup } = await fixtureOn('session36', 36)();
    try {
      await store.set(`session:${'x'.repeat(43)}`, { data: Uint8Array.from([1]), expiresAt: Date.now() + 60_000 });
      expect(Number(await server().query('select max(length(sid)) from session36'))).toBeLessThanOrEqual(36);
      expect(Number(await server().query("select count(*) from session36 where sess->'sessionkit'->>'key' = 'session:" + 'x'.repeat(43) + "'"))).toBe(1);
    } finally {
      await cleanup();
    }
  });

  it('without maxIdLength a long key is refused by that column: a StoreError naming the store, the action and a remedy', async () => {
    const { store, cleanup } = await fixtureOn('session36')();
    try {
      const write = store.set(`session:${'y'.repeat(43)}`, { data: Uint8Array.from([1]), expiresAt: Date.now() + 60_000 });
      await expect(write).rejects.toBeInstanceOf(StoreError);
      await expect(write).rejects.toThrow(/\[sessionkit:connect:PGStore\] set failed: value too long .*Check the express-session store's own backend/);
    } finally {
      await cleanup();
    }
  });

  it('a store that never calls back fails within the timeout (a pool whose one connection is held)', async () => {
    await tables();
    const pool = new pg.Pool({ connectionString: server().connectionString, max: 1 });
    const held = await pool.connect();
    try {
      const store = fromConnectStore(new PGStore({ pool, pruneSessionInterval: false }), { timeout: 300 });
      const started = Date.now();
      await expect(store.get('session:waiting')).rejects.toThrow(/\[sessionkit:connect:PGStore\] get did not answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      held.release();
      await pool.end();
    }
  });
});
