import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import DatabaseOldest from 'better-sqlite3-oldest';
import { afterAll, describe } from 'vitest';
import { SqliteStore } from '../../src/stores/sqlite/index.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describePlantedRecords } from '../conformance/planted-record-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { encryptedCapabilities, encryptedFixture } from '../helpers/encrypted.js';
import { describeSqliteDriver, SQLITE_CAPABILITIES } from './sqlite-suite.js';

// better-sqlite3, the driver a Node application installs; node-sqlite.test.ts and
// bun-sqlite.test.ts run the same tests on the built-in drivers.
describeSqliteDriver({ driver: 'better-sqlite3', open: (path) => new Database(path) });

// With `encrypt`: the store behind the wrapper that seals its records (src/encryption/), on a file.
describe('sqlite with encrypt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sessionkit-sqlite-encrypted-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const fixture = encryptedFixture(async () => {
    const store = new SqliteStore({ path: join(dir, `sessions-${files++}.db`), driver: 'better-sqlite3' });
    return { store, cleanup: () => store.close() };
  });
  describeStore('sqlite (better-sqlite3), encrypted', fixture, encryptedCapabilities(SQLITE_CAPABILITIES));
  describeSessionsOverHttp('sqlite (better-sqlite3), encrypted', fixture);
  describePlantedRecords('sqlite (better-sqlite3), encrypted', fixture);
});

// The oldest better-sqlite3 the peer range claims (11.0.0, package.json's better-sqlite3-oldest
// alias), passed as `database`. Node 20 only: the alias's native module is built for the
// machine's Node, and .ci/run rebuilds only the current better-sqlite3 for Node 22 and 24.
describe.runIf(process.versions.node.startsWith('20.'))('better-sqlite3 11.0.0 (the oldest claimed)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sessionkit-sqlite-oldest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  describeStore('sqlite (a better-sqlite3 11.0.0 database)', async () => {
    const db = new DatabaseOldest(join(dir, `sessions-${files++}.db`));
    const store = new SqliteStore({ database: db });
    return {
      store,
      cleanup: async () => {
        await store.close();
        db.close();
      },
    };
  }, SQLITE_CAPABILITIES);
});
