/**
 * `sessionkit sessions list | revoke | count`, the real bin as a child process, against real
 * backends (SQLite in a temporary file, PostgreSQL and a password-protected Redis started by
 * the harness). Each backend: sessions made by an application's engine (two users, one
 * anonymous session), then the command reads and ends them through the same settings the
 * application has, and the application sees the result; nothing printed holds a session id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/core/store.js';
import { SessionEngine } from '../../src/engine/engine.js';
import { redisStore } from '../../src/stores/redis/index.js';
import { sqlStore } from '../../src/stores/sql/index.js';
import { sqliteStore } from '../../src/stores/sqlite/index.js';
import { requestsOf } from '../helpers/engine-request.js';
import { getFreePort, LOOPBACK } from '../servers/ports.js';
import { POSTGRES_REQUIRES, startPostgres } from '../servers/postgres.js';
import { MEMCACHED_REQUIRES, startMemcached } from '../servers/memcached.js';
import { REDIS_REQUIRES, startRedis } from '../servers/redis.js';
import { describeWithServer } from '../servers/suite.js';
import { runCli } from './run-cli.js';

const quiet = { warn: () => {}, info: () => {} };
/** A Redis password holding every character a URL must encode. */
const REDIS_PASSWORD = 'p@ss/w:rd%9';
const encodedPassword = encodeURIComponent(REDIS_PASSWORD);
/** What the application sets, which the command reads too. */
const APP_ENV = { SESSION_USER_FIELD: 'userId', SESSION_LISTED_FIELDS: 'agent' };

interface Backend {
  store: Store;
  /** The command's store flags and environment for that backend. */
  args: string[];
  env: Record<string, string>;
  close?: () => Promise<unknown>;
}

interface Made {
  engine: SessionEngine;
  /** Cookie and id of each session, by name. */
  sessions: Record<string, { cookie: string; id: string }>;
}

/** An application's sessions: ada on three devices, bob on one, and one visitor who never logged in. */
async function makeSessions(store: Store): Promise<Made> {
  const engine = new SessionEngine({ store, userField: 'userId', listedFields: ['agent'], logger: quiet });
  const request = requestsOf(engine);
  const sessions: Made['sessions'] = {};
  const plan: [string, Record<string, unknown>][] = [
    ['ada-laptop', { userId: 'ada', agent: 'Firefox on Linux' }],
    ['ada-phone', { userId: 'ada', agent: 'Safari on iOS' }],
    ['ada-tablet', { userId: 'ada', agent: 'Chrome on Android' }],
    ['bob', { userId: 'bob', agent: 'Edge' }],
    ['visitor', { cart: 3 }],
  ];
  for (const [name, data] of plan) {
    const made = await request(undefined, (session) => Object.assign(session, data));
    sessions[name] = { cookie: made.cookie!, id: made.session.id };
  }
  return { engine, sessions };
}

function sessionsScenarios(open: () => Promise<Backend>): void {
  let backend: Backend | undefined;
  let made: Made | undefined;
  const ready = async () => {
    backend ??= await open();
    made ??= await makeSessions(backend.store);
    return { ...backend, ...made };
  };
  const cli = async (args: string[]) => {
    const { args: storeArgs, env } = await ready();
    return runCli(['sessions', ...args, ...storeArgs], { ...APP_ENV, ...env });
  };
  const noIdIn = (text: string) => {
    for (const { id } of Object.values(made!.sessions)) expect(text).not.toContain(id);
  };
  afterAll(async () => {
    await backend?.close?.();
  });

  it('count: the live sessions of the store (5, the user index and other records not counted), and of one user', async () => {
    const all = await cli(['count', '--json']);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ sessions: 5, interrupted: false });
    const bob = await cli(['count', '--user', 'bob']);
    expect(bob).toMatchObject({ code: 0, stdout: expect.stringMatching(/: user bob has 1 live session in /) as unknown });
  });

  it('list: the user\'s sessions with the handles and fields the application sees, and no id', async () => {
    const { engine } = await ready();
    const listed = await cli(['list', '--user', 'ada', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const { sessions } = JSON.parse(listed.stdout) as { sessions: { handle: string; fields: { agent: string } }[] };
    const expected = await engine.listSessions('ada');
    expect(sessions.map((session) => session.handle).sort()).toEqual(expected.map((session) => session.handle).sort());
    expect(sessions.map((session) => session.fields.agent).sort()).toEqual(['Chrome on Android', 'Firefox on Linux', 'Safari on iOS']);
    const text = await cli(['list', '--user', 'ada']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^sessionkit sessions: user ada has 3 live sessions in .+:$/);
    expect(text.stdout).toContain('agent="Safari on iOS"');
    for (const output of [listed.stdout, listed.stderr, text.stdout, text.stderr]) noIdIn(output);
  });

  it('revoke --handle ends that one session (its cookie loads a fresh session), and the same handle again exits 3', async () => {
    const { engine, sessions } = await ready();
    const phone = (await engine.listSessions('ada')).find((session) => session.fields.agent === 'Safari on iOS')!;
    const revoked = await cli(['revoke', '--user', 'ada', '--handle', phone.handle, '--json']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ user: 'ada', revoked: 1 });
    expect((await engine.load(sessions['ada-phone']!.cookie)).isNew).toBe(true);
    expect((await engine.load(sessions['ada-laptop']!.cookie)).isNew).toBe(false);
    const again = await cli(['revoke', '--user', 'ada', '--handle', phone.handle]);
    expect(again).toMatchObject({ code: 3, stdout: `sessionkit sessions: user ada has no live session ${phone.handle}; nothing was ended.\n` });
  });

  it('revoke --all ends every session of the user and no one else\'s', async () => {
    const { engine, sessions } = await ready();
    const revoked = await cli(['revoke', '--user', 'ada', '--all']);
    expect(revoked).toMatchObject({ code: 0, stdout: 'sessionkit sessions: ended 2 sessions of user ada.\n' });
    expect(await engine.listSessions('ada')).toEqual([]);
    expect((await engine.load(sessions['ada-laptop']!.cookie)).isNew).toBe(true);
    expect((await engine.load(sessions.bob!.cookie)).isNew).toBe(false);
    expect((await engine.load(sessions.visitor!.cookie)).isNew).toBe(false);
    const count = await cli(['count', '--json', '--quiet']);
    expect(count).toMatchObject({ code: 0, stdout: '' });
    // bob's and the visitor's; not the markers the three revoked sessions left (`ended.…`, for the missed event's `revoked`).
    const left = await cli(['count', '--json']);
    expect(JSON.parse(left.stdout)).toMatchObject({ sessions: 2, interrupted: false });
  });
}

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('sessionkit sessions on SQLite', () => {
  sessionsScenarios(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sessionkit-cli-sessions-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'sessions.db');
    const store = sqliteStore({ path });
    return { store, args: ['--type', 'sqlite', '--path', path], env: {}, close: async () => store.close?.() };
  });
});

describeWithServer('sessionkit sessions on PostgreSQL', { requires: POSTGRES_REQUIRES, start: () => startPostgres() }, (server) => {
  sessionsScenarios(async () => {
    const pool = new pg.Pool({ connectionString: server().connectionString });
    pool.on('error', () => {}); // an idle client of the pool when the server stops
    const store = sqlStore({ client: pool, table: 'cli_user_sessions' });
    return { store, args: ['--url', server().connectionString, '--table', 'cli_user_sessions'], env: { SESSION_TYPE: 'sql' }, close: () => pool.end() };
  });
});

describeWithServer(
  'sessionkit sessions on Redis with a password',
  { requires: REDIS_REQUIRES, start: () => startRedis() },
  (server) => {
    const url = () => `redis://:${encodedPassword}@${LOOPBACK}:${server().port}`;
    sessionsScenarios(async () => {
      // The password is set once the harness has seen the server ready (its PING sends none).
      const client = createClient({ url: server().url });
      client.on('error', () => {});
      await client.connect();
      await client.configSet('requirepass', REDIS_PASSWORD);
      await client.auth({ password: REDIS_PASSWORD });
      return { store: redisStore({ client }), args: ['--type', 'redis', '--url', url()], env: {}, close: () => client.quit() };
    });

    it('a Redis that does not answer: exit 1 within seconds, naming the store, the password never printed', async () => {
      const port = await getFreePort();
      const down = await runCli(['sessions', 'count', '--type', 'redis', '--url', `redis://:${encodedPassword}@${LOOPBACK}:${port}`], APP_ENV);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/^sessionkit sessions: failed: .*redis/);
      expect(down.ms).toBeLessThan(20_000);
      for (const text of [down.stdout, down.stderr]) {
        expect(text).not.toContain(REDIS_PASSWORD);
        expect(text).not.toContain(encodedPassword);
        expect(text).not.toContain('w:rd');
      }
    });
  },
);

describe('sessionkit sessions: the command line', () => {
  it.each([
    [['sessions'], 'say what to do: list, revoke or count.'],
    [['sessions', 'purge'], "unknown action 'purge': say list, revoke or count."],
    [['sessions', 'list', '--type', 'sqlite', '--path', '/tmp/x.db'], 'sessions list needs --user <id>'],
    [['sessions', 'revoke', '--user', 'ada', '--type', 'sqlite', '--path', '/tmp/x.db'], 'say which sessions to end: --handle <h> (one, from sessions list) or --all.'],
    [['sessions', 'revoke', '--user', 'ada', '--all', '--handle', 'h', '--type', 'sqlite'], 'not both'],
    [['sessions', 'count', '--all', '--type', 'sqlite'], '--handle and --all go with sessions revoke'],
    [['sessions', 'count', '--type', 'memory'], "type 'memory': the memory store lives inside the application's process"],
  ])('%j exits 2: %s', async (args, message) => {
    const result = await runCli(args, APP_ENV);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('--user without SESSION_USER_FIELD exits 2 and says which setting the user index needs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sessionkit-cli-sessions-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'sessions.db');
    await sqliteStore({ path }).close?.();
    const result = await runCli(['sessions', 'list', '--user', 'ada', '--type', 'sqlite', '--path', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('set SESSION_USER_FIELD as the application has it');
  });

  it('--help prints the sessions help with its exit codes', async () => {
    const result = await runCli(['sessions', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: sessionkit sessions <list|revoke|count> [options]');
    expect(result.stdout).toContain('3 revoke --handle named');
  });
});

describe('sessionkit sessions count on a terminal (in process, SQLite)', () => {
  async function plantedStore(count: number) {
    const dir = mkdtempSync(join(tmpdir(), 'sessionkit-cli-count-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'sessions.db');
    const store = sqliteStore({ path });
    const record = { data: new Uint8Array([0x82]), expiresAt: Date.now() + 3_600_000 };
    for (let index = 0; index < count; index++) await store.set(`session:id${index}`, record);
    await store.set('session:user.abc', record); // an index record: not a session
    await store.close?.();
    return path;
  }
  const sinks = (tty: boolean) => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      context: {
        env: APP_ENV,
        stdout: { write: (text: string) => (out.stdout += text), isTTY: false },
        stderr: { write: (text: string) => (out.stderr += text), isTTY: tty },
      },
    };
  };

  it('shows a progress line every 1000 sessions on a terminal and clears it; none in a log', async () => {
    const { sessionsCommand } = await import('../../src/cli/sessions-command.js');
    const path = await plantedStore(2500);
    const terminal = sinks(true);
    expect(await sessionsCommand(['count', '--type', 'sqlite', '--path', path], terminal.context)).toBe(0);
    expect(terminal.out.stdout).toBe('sessionkit sessions: sqlite holds 2500 live sessions.\n');
    expect(terminal.out.stderr).toContain('counted 1000 sessions so far');
    expect(terminal.out.stderr).toContain('counted 2000 sessions so far');
    expect(terminal.out.stderr.endsWith('\r\x1b[K')).toBe(true);
    const log = sinks(false);
    expect(await sessionsCommand(['count', '--type', 'sqlite', '--path', path], log.context)).toBe(0);
    expect(log.out.stderr).toBe('');
  });

  it('a signal stops the count where it got to: exit 130, the partial count said as such', async () => {
    const { sessionsCommand } = await import('../../src/cli/sessions-command.js');
    const path = await plantedStore(10);
    const { out, context } = sinks(false);
    const stop = new AbortController();
    stop.abort();
    expect(await sessionsCommand(['count', '--type', 'sqlite', '--path', path, '--json'], { ...context, signal: stop.signal })).toBe(130);
    expect(JSON.parse(out.stdout)).toEqual({ store: 'sqlite', sessions: 0, interrupted: true });
  });
});

describeWithServer('sessionkit sessions on memcached', { requires: MEMCACHED_REQUIRES, start: () => startMemcached() }, (server) => {
  it('count without --user exits 2: memcached cannot list its keys, and the message says what works instead', async () => {
    const result = await runCli(['sessions', 'count', '--type', 'memcached'], { ...APP_ENV, SESSION_MEMCACHED: `${LOOPBACK}:${server().port}` });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot list its keys, so its sessions cannot be counted; sessions count --user <id> counts one user');
    const user = await runCli(['sessions', 'count', '--user', 'ada', '--type', 'memcached', '--json'], { ...APP_ENV, SESSION_MEMCACHED: `${LOOPBACK}:${server().port}` });
    expect(user.code, user.stderr).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ user: 'ada', sessions: 0 });
  });
});
