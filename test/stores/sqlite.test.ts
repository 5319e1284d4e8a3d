import Database from 'better-sqlite3';
import { describeSqliteDriver } from './sqlite-suite.js';

// better-sqlite3, the driver a Node application installs; node-sqlite.test.ts and
// bun-sqlite.test.ts run the same tests on the built-in drivers.
describeSqliteDriver({ driver: 'better-sqlite3', open: (path) => new Database(path) });
