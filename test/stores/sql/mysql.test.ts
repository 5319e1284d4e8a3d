/**
 * The SQL store on a real MariaDB (test/servers/mariadb.ts), through a mysql2 promise pool,
 * a mysql2 callback pool and Kysely's MysqlDialect.
 */
import { Kysely, MysqlDialect } from 'kysely';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import mysqlOldestPromise from 'mysql2-oldest/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { sqlStore } from '../../../src/stores/sql/index.js';
import { MARIADB_REQUIRES, startMariadb } from '../../servers/mariadb.js';
import { describeWithServer } from '../../servers/suite.js';
import { describeSqlConformance, describeSqlOutages, record, sqlStoreBehaviour, text, unique, type Handle } from './shared.js';

const MYSQL2_OLDEST = '3.0.0';

describeWithServer('sql store on MariaDB', { requires: MARIADB_REQUIRES, start: () => startMariadb() }, (server) => {
  const settings = () => ({
    host: server().host,
    port: server().port,
    user: server().user,
    database: server().database,
    connectionLimit: 10,
  });
  const promisePool = async (): Promise<Handle> => {
    const client = mysqlPromise.createPool(settings());
    return { client, close: () => client.end() };
  };
  const callbackPool = async (): Promise<Handle> => {
    const client = mysql.createPool(settings());
    return { client, close: () => new Promise<void>((resolve, reject) => client.end((e) => (e ? reject(e) : resolve()))) };
  };
  const kysely = async (): Promise<Handle> => {
    const db = new Kysely<Record<string, never>>({ dialect: new MysqlDialect({ pool: mysql.createPool(settings()) }) });
    return { client: db, close: () => db.destroy() };
  };
  const exec = (sql: string) => server().query(sql);

  beforeAll(async () => {
    await server().query('CREATE DATABASE app');
  });

  describeSqlConformance('sql:mysql on a mysql2/promise pool', promisePool, exec);
  describeSqlConformance('sql:mysql on a mysql2 callback pool', callbackPool, exec);
  describeSqlConformance('sql:mysql on Kysely (MysqlDialect)', kysely, exec);
  // The oldest mysql2 the peer range claims (package.json's mysql2-oldest alias).
  describeSqlConformance(`sql:mysql on a mysql2 ${MYSQL2_OLDEST} promise pool (the oldest claimed)`, async () => {
    const client = mysqlOldestPromise.createPool(settings());
    return { client, close: () => client.end() };
  }, exec);

  describe('on a mysql2/promise pool', () => {
    sqlStoreBehaviour(() => ({ dialect: 'mysql', label: 'mysql2/promise pool', open: promisePool, exec, schema: 'app' }));
  });

  describe('on a mysql2 callback pool', () => {
    sqlStoreBehaviour(() => ({ dialect: 'mysql', label: 'mysql2 callback pool', open: callbackPool, exec, schema: 'app' }));
  });

  describe('on Kysely', () => {
    sqlStoreBehaviour(() => ({ dialect: 'mysql', label: 'Kysely', open: kysely, exec, schema: 'app' }));
  });

  describeSqlOutages('sql:mysql on a mysql2/promise pool', server, promisePool);
  describeSqlOutages('sql:mysql on a mysql2 callback pool', server, callbackPool);
  describeSqlOutages('sql:mysql on Kysely (MysqlDialect)', server, kysely);

  it('gives the table a binary id collation and a LONGBLOB', async () => {
    const { client, close } = await promisePool();
    const table = unique('layout');
    try {
      await sqlStore({ client, table }).get('k');
      const columns = await exec(
        `SELECT CONCAT(column_name, ' ', column_type, ' ', COALESCE(collation_name, '-')) FROM information_schema.columns
         WHERE table_schema = 'test' AND table_name = '${table}' ORDER BY ordinal_position`,
      );
      expect(columns.split('\n')).toEqual([
        'id varchar(255) utf8mb4_bin',
        'data longblob -',
        'expires_at bigint(20) -',
        'version bigint(20) -',
      ]);
    } finally {
      await close();
    }
  });

  it('works without CLIENT_FOUND_ROWS (affected rows = changed rows)', async () => {
    const client = mysqlPromise.createPool({ ...settings(), flags: ['-FOUND_ROWS'] });
    try {
      const store = sqlStore({ client, table: 'conformance' });
      const key = unique('changed-rows');
      expect(await store.create(key, record('one'))).toBe(true);
      expect(await store.create(key, record('one'))).toBe(false);
      const version = (await store.get(key))!.version!;
      // Same data, same expiry: only the new version makes the row "changed".
      const same = record('one', Date.now() + 60_000);
      expect(await store.setIf(key, same, version)).toBe(true);
      expect(await store.setIf(key, same, version)).toBe(false);
      await store.set(`${key}-old`, record('x', Date.now() - 1000));
      expect(await store.create(`${key}-old`, record('new'))).toBe(true);
      expect(text(await store.get(`${key}-old`))).toBe('new');
    } finally {
      await client.end();
    }
  });
});
