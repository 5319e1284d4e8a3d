// The SQLite store on better-sqlite3 beside node:sqlite, in one process on Node 22.16+:
// `node bench/sqlite-drivers.mjs`. Each driver opens its own file in WAL mode and runs the
// store's read and writes of a 1 KB session; the two take turns over several rounds and
// the median µs per operation is kept. Twice: with synchronous = NORMAL, as the store opens
// a file itself, and with each driver's own default, as a borrowed `database` may come
// (better-sqlite3 is built with NORMAL for WAL files, node:sqlite's SQLite with FULL).
// better-sqlite3 comes from node_modules, or from SESSIONKIT_BETTER_SQLITE3 (a directory
// holding a better-sqlite3 built for this Node) when the one installed is built for another.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-drivers-bench-'));
// The store from src/, bundled on the fly (tsconfig's paths give the core its node:crypto primitives).
const bundle = join(dir, 'sqlite.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('../src/stores/sqlite/index.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  external: ['better-sqlite3'],
  logLevel: 'warning',
});
const { SqliteStore } = await import(pathToFileURL(bundle).href);

const require = createRequire(import.meta.url);
const BetterSqlite3 = require(process.env.SESSIONKIT_BETTER_SQLITE3 ?? 'better-sqlite3');
const { DatabaseSync } = process.getBuiltinModule('node:sqlite');

const KEYS = 1000;
const OPS = 5000;
const ROUNDS = 7;
const data = new Uint8Array(1024).fill(7);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function storeOn(file, Database, synchronous) {
  const db = new Database(join(dir, file));
  db.exec('PRAGMA journal_mode = WAL');
  if (synchronous) db.exec(`PRAGMA synchronous = ${synchronous}`);
  return { db, store: new SqliteStore({ database: db, sweepEvery: 0 }) };
}

/** µs per call of one round of `op` over the keys. */
async function round(op) {
  const started = performance.now();
  for (let i = 0; i < OPS; i++) await op(`k${i % KEYS}`);
  return ((performance.now() - started) * 1000) / OPS;
}

const expiresAt = () => Date.now() + 3_600_000;
const cases = {
  'read (getSync)': (store) => (key) => store.getSync(key),
  'write (set)': (store) => (key) => store.set(key, { data, expiresAt: expiresAt() }),
  'read + compare-and-set': (store) => (key) => store.setIf(key, { data, expiresAt: expiresAt() }, store.getSync(key).version),
};

const version = (Database) => new Database(':memory:').prepare('SELECT sqlite_version() AS v').get().v;
console.log(`Node ${process.version}; SQLite ${version(BetterSqlite3)} in better-sqlite3, ${version(DatabaseSync)} in node:sqlite`);
console.log(`${OPS} operations per round on ${KEYS} sessions of 1 KB, median of ${ROUNDS} rounds, µs per operation`);

for (const [title, synchronous] of [['synchronous = NORMAL (a file the store opens)', 'NORMAL'], ["each driver's default synchronous", undefined]]) {
  const suffix = synchronous ?? 'default';
  const drivers = {
    'better-sqlite3': storeOn(`better-sqlite3-${suffix}.db`, BetterSqlite3, synchronous),
    'node:sqlite': storeOn(`node-sqlite-${suffix}.db`, DatabaseSync, synchronous),
  };
  for (const { store } of Object.values(drivers)) {
    for (let i = 0; i < KEYS; i++) await store.set(`k${i}`, { data, expiresAt: expiresAt() });
  }
  console.log(`\n${title}\n`);
  console.log('| operation | better-sqlite3 | node:sqlite | node:sqlite / better-sqlite3 |');
  console.log('|---|---:|---:|---:|');
  for (const [label, make] of Object.entries(cases)) {
    const times = { 'better-sqlite3': [], 'node:sqlite': [] };
    for (const { store } of Object.values(drivers)) await round(make(store)); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, { store }] of Object.entries(drivers)) times[name].push(await round(make(store)));
    }
    const better = median(times['better-sqlite3']);
    const node = median(times['node:sqlite']);
    console.log(`| ${label} | ${better.toFixed(2)} | ${node.toFixed(2)} | ${(node / better).toFixed(2)}x |`);
  }
  for (const { store, db } of Object.values(drivers)) {
    await store.close();
    db.close();
  }
}
rmSync(dir, { recursive: true, force: true });
