/**
 * A store chosen by SESSION_TYPE that cannot be set up stops the application at start-up,
 * saying what to set, and the README's `fromEnv()` line works as written. Each case starts
 * ./fixtures/from-env-app.ts (Express, `sessionkit(fromEnv())`) as a child process with
 * only the environment given: either it listens and keeps sessions, or it ends before
 * serving a request, with the message on stderr — never a process that answers 500.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../helpers/http.js';
import { root, spawnSource } from '../helpers/run-source.js';

/** Long enough for tsx to start the program and the store to load, on a loaded machine. */
const START_MS = 30_000;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Started {
  /** The address it listens on; undefined when it ended first. */
  readonly url: string | undefined;
  /** Its exit code, when it ended by itself before listening (or after, within the wait); undefined if it was still running. */
  readonly code: number | null | undefined;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

/**
 * Starts the app in a fresh working directory and waits until it listens or ends. With
 * `settleMs`, it is then given that long to end (a store whose failure comes once loaded).
 */
async function startApp(env: Record<string, string>, settleMs = 0): Promise<Started> {
  const cwd = mkdtempSync(join(tmpdir(), 'sessionkit-start-up-'));
  dirs.push(cwd);
  const child = spawnSource('test/config/fixtures/from-env-app.ts', [], { env, cwd });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let code: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (exitCode) => {
      code = exitCode;
      resolve();
    });
  });
  const listening = new Promise<string>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /listening on (\S+)/.exec(stdout)?.[1];
      if (url !== undefined) resolve(url);
    });
  });
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, START_MS).unref());
  const url = await Promise.race([listening, exited.then(() => undefined), timeout.then(() => undefined)]);
  if (url !== undefined && settleMs > 0) await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, settleMs))]);
  return {
    url: code === undefined ? url : undefined,
    code,
    stderr: () => stderr,
    stop: async () => {
      if (code === undefined) child.kill();
      await exited;
    },
  };
}

/** The environment the README's fromEnv() line names, each '…' a real value. */
function readmeEnvironment(): Record<string, string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const line = /app\.use\(sessionkit\(fromEnv\(\)\)\); \/\/ (.*) in the environment/.exec(readme)?.[1];
  if (line === undefined) throw new Error("README.md: the fromEnv() line ('app.use(sessionkit(fromEnv())); // … in the environment') is not there");
  return Object.fromEntries(
    line.split(/\s+/).map((assignment) => {
      const [key = '', value = ''] = assignment.split('=');
      return [key, value === '…' ? randomBytes(24).toString('base64url') : value];
    }),
  );
}

describe('sessionkit(fromEnv()) at start-up', () => {
  it("the README's line, with the environment it names, serves sessions (signed, in the SQLite file it names)", async () => {
    const env = readmeEnvironment();
    expect(env.SESSION_TYPE).toBe('sqlite');
    const app = await startApp(env);
    try {
      expect(app.url, app.stderr()).toBeDefined();
      const jar = new CookieJar();
      for (const views of [1, 2]) {
        const response = await fetch(app.url!, { headers: jar.header() === undefined ? {} : { cookie: jar.header()! } });
        expect(response.status, app.stderr()).toBe(200);
        expect(await response.text()).toBe(`views: ${String(views)}`);
        jar.store(response);
      }
      expect(jar.cookies.get('session'), 'a signed id: <id>.<signature>').toMatch(/^[\w-]+\.[\w-]+$/);
      expect(app.stderr()).toBe('');
    } finally {
      await app.stop();
    }
  }, START_MS + 15_000);

  it('SESSION_TYPE=sqlite without SESSION_SQLITE_PATH ends the program before it serves, naming SESSION_SQLITE_PATH', async () => {
    const app = await startApp({ SESSION_TYPE: 'sqlite', SESSION_USE_SIGNER: 'true', SECRET_KEY: randomBytes(24).toString('base64url') });
    await app.stop();
    expect(app.url, 'it listened').toBeUndefined();
    expect(app.code, 'it kept running').toBeDefined();
    expect(app.code).not.toBe(0);
    expect(app.stderr()).toContain("SESSION_TYPE 'sqlite' needs SESSION_SQLITE_PATH: set it to the database file, such as ./data/sessions.db.");
  }, START_MS + 15_000);

  it('a store that refuses its options once loaded ends the program too, with its message', async () => {
    // A threshold the filesystem store refuses, which only the store itself checks: after its import.
    const app = await startApp({ SESSION_TYPE: 'filesystem', SESSION_FILE_THRESHOLD: '0' }, START_MS);
    await app.stop();
    expect(app.code, `it kept running: ${app.stderr()}`).toBeDefined();
    expect(app.code).not.toBe(0);
    expect(app.stderr()).toContain('filesystemStore: threshold must be a positive integer');
  }, 2 * START_MS + 15_000);
});
