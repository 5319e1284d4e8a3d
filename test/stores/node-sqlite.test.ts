/**
 * The SQLite store on Node's built-in node:sqlite (Node 22.16 or later, and Deno), and the
 * driver it picks when nothing is named. Nothing here loads better-sqlite3: these tests run
 * on Node 22 and 24 beside a better-sqlite3 built for another Node, and inside Deno
 * (`npm run test:deno-sqlite`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore, type NodeSqliteDatabase } from '../../src/stores/sqlite/index.js';
import { describeSqliteDriver } from './sqlite-suite.js';

const sqlite = process.getBuiltinModule?.('node:sqlite') as
  | { DatabaseSync: new (path: string) => NodeSqliteDatabase; StatementSync: { prototype: object } }
  | undefined;
const nodeSqlite = sqlite && 'columns' in sqlite.StatementSync.prototype ? sqlite.DatabaseSync : undefined;
const onNode = typeof process.versions.bun !== 'string' && !('Deno' in globalThis);
const notHere = `not on Node ${process.version}: node:sqlite with StatementSync#columns() needs Node 22.16 or later`;

if (nodeSqlite) describeSqliteDriver({ driver: 'node:sqlite', open: (path) => new nodeSqlite(path) });
else describe.skip(`sqlite (node:sqlite) [${notHere}]`, () => it('store contract, HTTP scenarios and SqliteStore on node:sqlite', () => {}));

describe.runIf('Deno' in globalThis)('SqliteStore under Deno', () => {
  it('opens `path` with node:sqlite when no driver is named, though better-sqlite3 is installed here', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    expect(store.driver).toBe('node:sqlite');
    await store.close();
  });
});

/**
 * The store alone, bundled into a directory with no node_modules above it (so no
 * better-sqlite3 to find), run in a child process of this Node: what an application that
 * installed nothing but sessionkit gets from `sqliteStore({ path })`.
 */
describe.runIf(onNode)('sqliteStore({ path }) on a Node without better-sqlite3', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sessionkit-no-better-sqlite3-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function runStore(): Promise<{ stdout: string; stderr: string }> {
    const bundle = join(dir, 'sqlite.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('../../src/stores/sqlite/index.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'warning',
    });
    const main = join(dir, 'main.mjs');
    writeFileSync(
      main,
      `import { sqliteStore } from './sqlite.mjs';
try {
  const store = sqliteStore({ path: ${JSON.stringify(join(dir, 'data', 'sessions.db'))} });
  await store.set('k', { data: new Uint8Array([7]), expiresAt: Date.now() + 60000 });
  console.log(store.driver, [...store.getSync('k').data].join());
  await store.close();
} catch (error) {
  console.log('error:', error.message);
}
`,
    );
    const child = spawnSync(process.execPath, [main], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { stdout: child.stdout.trim(), stderr: child.stderr.trim() };
  }

  it.runIf(nodeSqlite)('opens the file with node:sqlite; Node 22 prints its ExperimentalWarning once, Node 24 nothing', async () => {
    const { stdout, stderr } = await runStore();
    expect(stdout).toBe('node:sqlite 7');
    if (process.versions.node.startsWith('22.')) {
      expect(stderr).toMatch(/^\(node:\d+\) ExperimentalWarning: SQLite is an experimental feature and might change at any time\n/);
    } else if (process.versions.node.startsWith('24.')) {
      expect(stderr).toBe('');
    }
  }, 60_000);

  it.runIf(!nodeSqlite)(`fails at start-up naming the Node to use and what to install [${process.version}]`, async () => {
    const { stdout } = await runStore();
    expect(stdout).toBe(
      `error: sessionkit: sqliteStore: no SQLite driver on Node ${process.version}. Use Node 22.16 or later (its built-in node:sqlite needs ` +
        'nothing installed), or install better-sqlite3: npm install better-sqlite3',
    );
  }, 60_000);
});
