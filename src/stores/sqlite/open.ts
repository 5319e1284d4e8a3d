/**
 * Opening a SQLite file with the driver this runtime has: bun:sqlite under Bun, node:sqlite
 * under Deno; on Node better-sqlite3 when the application installed it, else node:sqlite
 * (Node 22.16 or later).
 * The built-in modules are loaded with process.getBuiltinModule, never imported, so that
 * Node 20 and bundlers never see them.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { SessionConfigError } from '../../core/errors.js';
import { nodeBuiltin } from '../../core/node-builtin.js';
import { loadOptional } from '../shared/load-optional.js';
import type { BetterSqlite3Database, BunSqliteDatabase, NodeSqliteDatabase, SqliteDatabase, SqliteDriver } from './drivers.js';

type DatabaseClass<D> = new (path: string) => D;

const requireFromHere = createRequire(import.meta.url);

/** Bun's process.versions carries `bun`; Bun also offers node:sqlite, but its own driver is the native one. */
function isBun(): boolean {
  return typeof process.versions.bun === 'string';
}

/** node:sqlite where it is unflagged and has StatementSync#columns (Node 22.16+, 23.11+). */
function nodeSqlite(): DatabaseClass<NodeSqliteDatabase> | undefined {
  // Node versions without getBuiltinModule have no node:sqlite either.
  const sqlite = nodeBuiltin<{ DatabaseSync: DatabaseClass<NodeSqliteDatabase>; StatementSync: { prototype: object } }>('node:sqlite');
  return sqlite && 'columns' in sqlite.StatementSync.prototype ? sqlite.DatabaseSync : undefined;
}

function betterSqlite3Installed(): boolean {
  try {
    requireFromHere.resolve('better-sqlite3');
    return true;
  } catch {
    return false;
  }
}

/** Deno has node:sqlite too, but cannot load better-sqlite3, a Node addon on V8's own API. */
function isDeno(): boolean {
  return typeof process.versions.deno === 'string';
}

/**
 * The driver `path` is opened with when the application names none. better-sqlite3, an
 * optional peer dependency, is installed only on purpose, so on Node it wins over
 * node:sqlite: as fast (bench/sqlite-drivers.mjs: within 10% both ways on Node 24, once
 * both write with synchronous = NORMAL), a stable API, and no ExperimentalWarning on Node 22.
 */
export function defaultDriver(): SqliteDriver {
  if (isBun()) return 'bun:sqlite';
  if (!isDeno() && betterSqlite3Installed()) return 'better-sqlite3';
  if (nodeSqlite()) return 'node:sqlite';
  throw new SessionConfigError(
    `sqliteStore: no SQLite driver on Node ${process.version}. Use Node 22.16 or later (its built-in node:sqlite needs ` +
      'nothing installed), or install better-sqlite3: npm install better-sqlite3',
  );
}

function databaseClass(driver: SqliteDriver): DatabaseClass<SqliteDatabase> {
  switch (driver) {
    case 'better-sqlite3':
      return loadOptional<DatabaseClass<BetterSqlite3Database>>('better-sqlite3', 'sqlite');
    case 'node:sqlite': {
      const DatabaseSync = nodeSqlite();
      if (!DatabaseSync) throw new SessionConfigError(`sqliteStore: node:sqlite needs Node 22.16 or later; this is ${process.version}.`);
      return DatabaseSync;
    }
    case 'bun:sqlite': {
      const sqlite = isBun() ? nodeBuiltin<{ Database: DatabaseClass<BunSqliteDatabase> }>('bun:sqlite') : undefined;
      if (!sqlite) throw new SessionConfigError('sqliteStore: bun:sqlite exists only under Bun.');
      return sqlite.Database;
    }
  }
}

/**
 * Opens (creating its directory) the file at `path` with `driver`, set up alike on every
 * driver: WAL, so readers never wait for the writer; synchronous = NORMAL, which in WAL
 * mode cannot corrupt the file and loses at most the last commits on a power cut (not on
 * a crash of the process) — what better-sqlite3 does by its build's default, while
 * node:sqlite's and bun:sqlite's FULL makes every write wait for the disk (6 times slower
 * in bench/sqlite-drivers.mjs); busy_timeout: another process holding the write lock
 * makes us wait up to 5 s instead of failing at once.
 */
export function openSqlite(path: string, driver: SqliteDriver): SqliteDatabase {
  const Database = databaseClass(driver);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  return db;
}
