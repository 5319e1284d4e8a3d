/**
 * examples/bun-sqlite run as it is: `Bun.serve` with the Web adapter and the SQLite store
 * on bun:sqlite, started under Bun on a free port, driven over HTTP from here, stopped and
 * started again on the same file; the session must survive the restart. Runs in the Node
 * suite and in `npm run test:bun-sqlite` alike: the program is always Bun's.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../helpers/http.js';
import { makeTempDir, removeTempDir, spawnServer, waitUntilReady, type ServerProcess } from '../servers/process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bunBinary = join(root, 'node_modules/.bin/bun');
const server = join(root, 'examples/bun-sqlite/server.ts');

interface Running {
  process: ServerProcess;
  url: string;
  /** What the program says it stores sessions with. */
  driver: string;
}

/** The example under Bun with PORT=0: it prints the port Bun.serve got. */
async function start(dbPath: string): Promise<Running> {
  const process = spawnServer('bun-sqlite example', {
    command: bunBinary,
    args: [server, dbPath],
    cwd: root,
    env: { PORT: '0', SESSION_SECRET: 'bun-sqlite-example-secret-0123456789', NO_COLOR: '1' },
  });
  const listening = () => /listening on port (?<port>\d+) \(sessions in (?<driver>\S+)\)/.exec(process.output.tail(20))?.groups;
  await waitUntilReady(process, async () => listening() !== undefined, { timeoutMs: 60_000 });
  const { port, driver } = listening() as { port: string; driver: string };
  return { process, url: `http://127.0.0.1:${port}`, driver };
}

const count = async (jar: CookieJar, url: string) => {
  const response = await jar.fetch(`${url}/count`);
  return { status: response.status, body: await response.json() };
};

describe('examples/bun-sqlite under Bun', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('sessionkit-bun-sqlite-example');
  });
  afterAll(async () => {
    await removeTempDir(dir);
  });

  it('logs in and counts over HTTP on bun:sqlite, and the session survives a restart of the program', async () => {
    const dbPath = join(dir, 'data', 'sessions.db');
    const jar = new CookieJar();
    const first = await start(dbPath);
    try {
      expect(first.driver).toBe('bun:sqlite');
      const login = await jar.fetch(`${first.url}/login`, { method: 'POST', body: new URLSearchParams({ user: 'ana' }) });
      expect(login.status).toBe(200);
      expect(await count(jar, first.url)).toEqual({ status: 200, body: { user: 'ana', count: 1 } });
      expect(await count(jar, first.url)).toEqual({ status: 200, body: { user: 'ana', count: 2 } });
      expect((await count(new CookieJar(), first.url)).status).toBe(401);
    } finally {
      // SIGTERM: the example stops its server and closes the database, then exits by itself.
      expect(await first.process.stop()).toEqual({ code: 0, signal: null });
    }
    const second = await start(dbPath);
    try {
      expect(await count(jar, second.url)).toEqual({ status: 200, body: { user: 'ana', count: 3 } });
      expect((await jar.fetch(`${second.url}/logout`, { method: 'POST' })).status).toBe(200);
      expect((await count(jar, second.url)).status).toBe(401);
    } finally {
      expect(await second.process.stop()).toEqual({ code: 0, signal: null });
    }
  }, 120_000);
});
