/**
 * The SQLite store on Bun's bun:sqlite, inside Bun: `npm run test:bun-sqlite`. Under Node
 * the tests are skipped with that command in their title.
 */
import { describe, expect, it } from 'vitest';
import { SqliteStore, type BunSqliteDatabase } from '../../src/stores/sqlite/index.js';
import { describeSqliteDriver } from './sqlite-suite.js';

const bunSqlite =
  typeof process.versions.bun === 'string'
    ? (process.getBuiltinModule('bun:sqlite') as { Database: new (path: string) => BunSqliteDatabase })
    : undefined;

if (bunSqlite) {
  describeSqliteDriver({ driver: 'bun:sqlite', open: (path) => new bunSqlite.Database(path) });

  describe('SqliteStore under Bun', () => {
    it('opens `path` with bun:sqlite when no driver is named, though node:sqlite is there too', async () => {
      const store = new SqliteStore({ path: ':memory:' });
      expect(store.driver).toBe('bun:sqlite');
      await store.close();
    });
  });
} else {
  describe.skip('sqlite (bun:sqlite) [not on Node: run `npm run test:bun-sqlite`]', () => {
    it('store contract, HTTP scenarios and SqliteStore on bun:sqlite', () => {});
  });
}
