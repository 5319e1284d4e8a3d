/**
 * `sessionkit cleanup`'s command line: usage errors (exit 2, the help text for a bad flag),
 * --help, stores with nothing to clean, and the progress line on a terminal (in process,
 * with a stderr that says it is a TTY).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupCommand } from '../../src/cli/cleanup-command.js';
import { FileSystemStore } from '../../src/stores/filesystem/index.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-cli-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sessionkit cleanup: the command line', () => {
  it('--help prints the flags and the exit codes, and exits 0', async () => {
    const result = await runCli(['cleanup', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: sessionkit cleanup \[options\]/);
    expect(result.stdout).toContain('--dry-run');
    expect(result.stdout).toContain('Exit codes: 0 done (or nothing to do), 1 the store failed, 2 bad flags or settings');
  });

  it.each([
    [['cleanup', '--nope'], "Unknown option '--nope'", true],
    [['cleanup', '--batch-size', '0', '--type', 'sqlite'], '--batch-size must be a positive whole number; the value given is not (it is not shown, as it may be a secret).', false],
    [['cleanup', '--batch-size'], "Option '--batch-size <value>' argument missing", true],
    [['cleanup', 'extra'], 'cleanup takes options only, and an argument is not one', true],
    [['cleanup'], 'no store named: pass --type or set SESSION_TYPE.', true],
    [['cleanup', '--type', 'cassandra'], 'SESSION_TYPE must be one of null, memory, filesystem, sqlite,', false],
    [['cleanup', '--type', 'sql', '--dir', '/tmp'], "--dir does not apply to type 'sql'.", true],
    [['cleanup', '--type', 'sql'], "type 'sql' needs the database: pass --url postgres://… or --url mysql://….", false],
    [['cleanup', '--type', 'sql', '--url', 'oracle://db'], "--url: type 'sql' takes postgres://, postgresql://, mysql:// or mariadb:// URLs, not oracle://.", false],
    [['cleanup', '--type', 'sqlite'], "type 'sqlite' needs the database file: set SESSION_SQLITE_PATH or --path.", false],
    [['cleanup', '--type', 'memory'], "type 'memory': the memory store lives inside the application's process", false],
    [['cleanup', '--type', 'sqlite', '--path', '/nonexistent/sessions.db'], '/nonexistent/sessions.db does not exist (SESSION_SQLITE_PATH or --path)', false],
    [['cleanup', '--type', 'filesystem', '--env-from', '/nonexistent/app.env'], '--env-from /nonexistent/app.env: ENOENT', false],
    [['clean'], "sessionkit: unknown command 'clean'", true],
  ])('%j exits 2: %s', async (args, message, withHelp) => {
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr.includes('Usage: sessionkit'), 'the help text').toBe(withHelp);
  });

  it('an unknown SESSION_ key in the environment is the same error the application gets (exit 2)', async () => {
    const result = await runCli(['cleanup'], { SESSION_TYPE: 'filesystem', SESSION_FILE_DIRR: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown setting SESSION_FILE_DIRR');
  });

  it('redis and memcached expire sessions themselves: nothing to do, exit 0, no connection made', async () => {
    const result = await runCli(['cleanup', '--type', 'redis']);
    expect(result).toMatchObject({ code: 0, stdout: 'sessionkit cleanup: Redis expires sessions itself: nothing to clean up.\n', stderr: '' });
    expect((await runCli(['cleanup', '--quiet'], { SESSION_TYPE: 'memcache' })).stdout).toBe('');
  });
});

describe('sessionkit cleanup: the progress line', () => {
  const streams = (tty: boolean) => {
    const stdout = new PassThrough();
    const stderr = Object.assign(new PassThrough(), { isTTY: tty });
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    return { stdout, stderr, text: () => ({ out, err }) };
  };

  async function plantExpired(count: number) {
    const store = new FileSystemStore({ dir });
    for (let i = 0; i < count; i++) await store.set(`session:${i}`, { data: new Uint8Array([1]), expiresAt: Date.now() - 1000 });
  }

  it('is rewritten in place with \\r on a terminal, cleared before the summary', async () => {
    await plantExpired(5);
    const io = streams(true);
    const code = await cleanupCommand(['--type', 'filesystem', '--dir', dir, '--batch-size', '2'], { env: {}, ...io });
    expect(code).toBe(0);
    const { out, err } = io.text();
    expect(err.split('\r\x1b[K').filter(Boolean).map((line) => line.replace(/\(\d+ ms\)/, '(… ms)'))).toEqual([
      'sessionkit cleanup: filesystem: removed 2 expired sessions in 1 batch (… ms)',
      'sessionkit cleanup: filesystem: removed 4 expired sessions in 2 batches (… ms)',
      'sessionkit cleanup: filesystem: removed 5 expired sessions in 3 batches (… ms)',
    ]);
    expect(err.endsWith('\r\x1b[K')).toBe(true);
    expect(out).toMatch(/^sessionkit cleanup: removed 5 expired sessions from filesystem in 3 batches \(\d+ ms\)\.\n$/);
  });

  it('is not written when stderr is not a terminal, nor with --quiet', async () => {
    await plantExpired(3);
    const io = streams(false);
    expect(await cleanupCommand(['--type', 'filesystem', '--dir', dir], { env: {}, ...io })).toBe(0);
    expect(io.text().err).toBe('');
    await plantExpired(3);
    const quiet = streams(true);
    expect(await cleanupCommand(['--type', 'filesystem', '--dir', dir, '--quiet'], { env: {}, ...quiet })).toBe(0);
    expect(quiet.text()).toEqual({ out: '', err: '' });
  });

  it('an aborted run finishes its batch, prints the summary and exits 130', async () => {
    await plantExpired(4);
    const io = streams(false);
    const controller = new AbortController();
    controller.abort();
    expect(await cleanupCommand(['--type', 'filesystem', '--dir', dir], { env: {}, ...io, signal: controller.signal })).toBe(130);
    expect(io.text().out).toContain('Interrupted: expired sessions may be left.');
  });
});
