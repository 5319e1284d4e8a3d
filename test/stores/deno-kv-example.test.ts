/**
 * examples/deno-kv run as it is: `Deno.serve` with the Web adapter and a Deno KV store,
 * started under Deno on a free port, driven over HTTP from here, stopped and started again
 * on the same KV file (read from Node through @deno/kv in between); the session must
 * survive the restart. Also deno lint, and that `Deno.Kv`, as Deno's own types declare it,
 * fits the store's structural KvDatabase.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenoKvStore } from '../../src/stores/deno-kv/index.js';
import { decodeValue } from '../../src/stores/deno-kv/value.js';
import { makeTempDir, removeTempDir, run, spawnServer, waitUntilReady, type ServerProcess } from '../servers/process.js';
import { CookieJar } from '../helpers/http.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const denoBinary = join(root, 'node_modules/.bin/deno');
const example = join(root, 'examples/deno-kv');

interface Running {
  process: ServerProcess;
  url: string;
  /** Milliseconds from spawn to "listening". */
  startMs: number;
}

/** The example under Deno on a free port (PORT=0: it prints the port it got). */
async function start(kvPath: string): Promise<Running> {
  const started = performance.now();
  const process = spawnServer('deno-kv example', {
    command: denoBinary,
    args: ['run', '--allow-net', '--allow-read', '--allow-write', '--allow-env', '--config', join(example, 'deno.json'), join(example, 'main.ts'), kvPath],
    env: { PORT: '0', SESSION_SECRET: 'deno-kv-example-secret-0123456789', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  });
  let port: string | undefined;
  await waitUntilReady(process, async () => {
    port = /listening on port (\d+)/.exec(process.output.tail(20))?.[1];
    return port !== undefined;
  }, { timeoutMs: 60_000 });
  return { process, url: `http://127.0.0.1:${port!}`, startMs: performance.now() - started };
}

const login = (jar: CookieJar, url: string, user: string) =>
  jar.fetch(`${url}/login`, { method: 'POST', body: new URLSearchParams({ user }) });
const count = async (jar: CookieJar, url: string) => {
  const response = await jar.fetch(`${url}/count`);
  return { status: response.status, body: (await response.json()) as { user?: string; count?: number } };
};

describe('examples/deno-kv under Deno', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTempDir('sessionkit-deno-kv-example');
  });
  afterAll(async () => {
    await removeTempDir(dir);
  });

  it('logs in and counts over HTTP, and the session survives a restart of the program', async () => {
    const kvPath = join(dir, 'sessions.db');
    const first = await start(kvPath);
    const jar = new CookieJar();
    const stranger = new CookieJar();
    try {
      expect((await login(jar, first.url, 'ana')).status).toBe(200);
      expect(await count(jar, first.url)).toEqual({ status: 200, body: { user: 'ana', count: 1 } });
      expect(await count(jar, first.url)).toEqual({ status: 200, body: { user: 'ana', count: 2 } });
      expect((await count(stranger, first.url)).status).toBe(401);
    } finally {
      // SIGTERM: the example shuts its server down and closes the database, then exits by itself.
      expect(await first.process.stop()).toEqual({ code: 0, signal: null });
    }
    // The file Deno wrote, read in Node through @deno/kv: one live session of ours, count 2.
    const kv = await (await import('@deno/kv')).openKv(kvPath);
    try {
      const entries = [];
      for await (const entry of kv.list({ prefix: ['sessions'] })) entries.push(entry);
      expect(entries).toHaveLength(1);
      expect(decodeValue(entries[0]!.value)!.expiresAt).toBeGreaterThan(Date.now());
      expect(await new DenoKvStore({ kv }).countExpired()).toBe(0);
    } finally {
      kv.close();
    }
    const second = await start(kvPath);
    try {
      expect(await count(jar, second.url)).toEqual({ status: 200, body: { user: 'ana', count: 3 } });
      expect((await jar.fetch(`${second.url}/logout`, { method: 'POST' })).status).toBe(200);
      expect((await count(jar, second.url)).status).toBe(401);
    } finally {
      await second.process.stop();
    }
    console.info(`deno-kv example: started in ${Math.round(first.startMs)} ms, again in ${Math.round(second.startMs)} ms`);
  }, 120_000);

  it('passes deno lint', async () => {
    const lint = await run(denoBinary, ['lint', '--config', join(example, 'deno.json'), example], { allowFailure: true, env: { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
  });

  it("Deno's own Deno.Kv type fits KvDatabase (deno check), and a member it lacks would not", async () => {
    const kvTypes = join(root, 'src/stores/deno-kv/kv.ts');
    const check = async (name: string, extra: string) => {
      const file = join(dir, name);
      await writeFile(file, `import type { KvDatabase } from ${JSON.stringify(kvTypes)};\nexport const fits = (kv: Deno.Kv): KvDatabase${extra} => kv;\n`);
      return run(denoBinary, ['check', '--unstable-kv', '--no-config', file], { allowFailure: true, env: { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' }, timeoutMs: 60_000 });
    };
    const fits = await check('fits.ts', '');
    expect(fits.code, fits.stderr).toBe(0);
    // The control: the same check fails when KvDatabase asks for something Deno.Kv has not.
    const lacks = await check('lacks.ts', ' & { notAKvMethod(): void }');
    expect(lacks.code).not.toBe(0);
    expect(lacks.stderr + lacks.stdout).toMatch(/notAKvMethod/);
  }, 120_000);
});
