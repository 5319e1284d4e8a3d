/**
 * Tests of the throwaway-server harness itself: every server starts, answers through the
 * harness's own primitives, and stop() frees its port and removes its temp dir; plus the
 * process helpers (errors with output, port clashes, no leaks when the test process dies).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DYNALITE_REQUIRES, startDynalite, type DynaliteServer } from './dynalite.js';
import { MARIADB_REQUIRES, startMariadb, type MariadbServer } from './mariadb.js';
import { MEMCACHED_REQUIRES, startMemcached, type MemcachedServer } from './memcached.js';
import { getFreePort, isPortFree, LOOPBACK, onFreePort, PortInUseError } from './ports.js';
import { POSTGRES_REQUIRES, startPostgres, type PostgresServer } from './postgres.js';
import { pollUntil, run, spawnServer, waitUntilReady } from './process.js';
import {
  REDIS_CLUSTER_REQUIRES,
  REDIS_REQUIRES,
  REDIS_SENTINEL_REQUIRES,
  startRedis,
  startRedisCluster,
  startRedisSentinel,
  type RedisCluster,
  type RedisSentinel,
  type RedisServer,
} from './redis.js';
import { binary, checkRequirements, findBinary, requirePath } from './require-binary.js';
import { parseInfo, respCommand } from './resp.js';
import type { ManagedServer } from './server.js';
import { describeWithServer } from './suite.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '../..');

/** Start-up times, printed once at the end of the file. */
const startupTimes: Record<string, number> = {};
afterAll(() => {
  const lines = Object.entries(startupTimes).map(([name, ms]) => `  ${name.padEnd(28)} ${ms} ms`);
  if (lines.length) console.log(`server start-up times:\n${lines.join('\n')}`);
});

async function timed<T extends { stop(): Promise<void> }>(name: string, start: () => Promise<T>): Promise<T> {
  const began = performance.now();
  const server = await start();
  startupTimes[name] = Math.round(performance.now() - began);
  return server;
}

/** The common last test of each suite: stop() frees the port and removes the temp dir. */
async function expectStopFrees(server: ManagedServer): Promise<void> {
  const { port, dir } = server;
  expect(await isPortFree(port)).toBe(false);
  await server.stop();
  expect(server.running).toBe(false);
  expect(await isPortFree(port)).toBe(true);
  expect(existsSync(dir)).toBe(false);
  await server.stop(); // idempotent
}

// -------------------------------------------------------------------------------------------
// Helpers without servers
// -------------------------------------------------------------------------------------------

describe('ports', () => {
  it('getFreePort gives a bindable loopback port, a different one each call', async () => {
    const a = await getFreePort();
    const b = await getFreePort();
    expect(a).not.toBe(b);
    expect(await isPortFree(a)).toBe(true);
  });

  it('onFreePort retries with another port on PortInUseError', async () => {
    const tried: number[] = [];
    const port = await onFreePort(async (p) => {
      tried.push(p);
      if (tried.length < 3) throw new PortInUseError(p, 'taken');
      return p;
    });
    expect(tried).toHaveLength(3);
    expect(new Set(tried).size).toBe(3);
    expect(port).toBe(tried[2]);
  });
});

describe('process helpers', () => {
  it('a server that never becomes ready fails with its last output lines', async () => {
    const proc = spawnServer('chatty', { command: 'sh', args: ['-c', 'echo first line; echo second line >&2; sleep 60'] });
    const error = await waitUntilReady(proc, async () => false, { timeoutMs: 400 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/chatty to become ready/);
    expect((error as Error).message).toMatch(/first line\nsecond line/);
    expect(proc.running).toBe(false); // stopped on timeout
  });

  it('a server that exits fails at once, with its output', async () => {
    const proc = spawnServer('quitter', { command: 'sh', args: ['-c', 'echo bad config; exit 3'] });
    const began = Date.now();
    const error = await waitUntilReady(proc, async () => false, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(Date.now() - began).toBeLessThan(3_000);
    expect((error as Error).message).toMatch(/exited with code 3[\s\S]*bad config/);
  });

  it.skipIf(!findBinary('redis-server'))('a taken port becomes a PortInUseError', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, LOOPBACK, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const proc = spawnServer('redis', {
        command: requirePath(REDIS_REQUIRES[0]!),
        args: ['--port', String(port), '--bind', LOOPBACK, '--save', ''],
      });
      const error = await waitUntilReady(proc, () => respCommand(port, ['PING']).then(() => false), { port }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PortInUseError);
    } finally {
      blocker.close();
    }
  });

  it('run() rejects with the command output on failure', async () => {
    await expect(run('sh', ['-c', 'echo oops >&2; exit 2'])).rejects.toThrow(/exited with code 2:\s*oops/);
    expect((await run('sh', ['-c', 'exit 2'], { allowFailure: true })).code).toBe(2);
  });

  it('pollUntil reports what it waited for', async () => {
    await expect(pollUntil('the moon', async () => false, { timeoutMs: 100 })).rejects.toThrow(/waiting for the moon/);
  });
});

describe('requirements', () => {
  const missing = binary('no-such-server-xyz', 'apt-get install -y no-such-server-xyz');

  it('findBinary finds by PATH or candidates, undefined when missing', () => {
    expect(findBinary('sh')).toMatch(/\/sh$/);
    expect(findBinary('whatever', ['/bin/sh'])).toBe('/bin/sh');
    expect(findBinary('no-such-server-xyz')).toBeUndefined();
  });

  it('missing: a loud SKIPPED line and unavailable — or a throw with SESSIONKIT_REQUIRE_SERVICES=1', () => {
    const saved = process.env.SESSIONKIT_REQUIRE_SERVICES;
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      delete process.env.SESSIONKIT_REQUIRE_SERVICES;
      expect(checkRequirements('demo', [missing])).toEqual({ available: false, reason: expect.any(String) as unknown });
      expect(String(write.mock.calls[0]?.[0])).toMatch(
        /SKIPPED demo suite: no-such-server-xyz not found\. Install it with: apt-get install -y no-such-server-xyz/,
      );
      process.env.SESSIONKIT_REQUIRE_SERVICES = '1';
      expect(() => checkRequirements('demo', [missing])).toThrow(/SESSIONKIT_REQUIRE_SERVICES=1.*no-such-server-xyz/);
      expect(checkRequirements('demo', [binary('sh', 'n/a')])).toEqual({ available: true });
    } finally {
      write.mockRestore();
      if (saved === undefined) delete process.env.SESSIONKIT_REQUIRE_SERVICES;
      else process.env.SESSIONKIT_REQUIRE_SERVICES = saved;
    }
  });

  it('requirePath throws with the install hint', () => {
    expect(() => requirePath(missing)).toThrow(/Install it with: apt-get install -y no-such-server-xyz/);
  });
});

// -------------------------------------------------------------------------------------------
// Each server
// -------------------------------------------------------------------------------------------

describeWithServer('redis', { requires: REDIS_REQUIRES, start: () => timed('redis', startRedis) }, (server) => {
  const redis = (): RedisServer => server();

  it('answers PING and counts commands', async () => {
    const r = redis();
    expect(r.url).toBe(`redis://127.0.0.1:${r.port}`);
    expect(await r.command('PING')).toBe('PONG');
    await r.resetStats();
    await r.command('SET', 'k', 'v');
    expect(await r.command('GET', 'k')).toBe('v');
    await r.command('GET', 'k');
    const stats = await r.commandStats();
    expect(stats.get).toBe(2);
    expect(stats.set).toBe(1);
  });

  it('pause() makes it unreachable; resume() brings it back (empty) on the same port', async () => {
    const r = redis();
    const port = r.port;
    await r.command('SET', 'k', 'v');
    await r.pause();
    expect(r.running).toBe(false);
    await expect(respCommand(port, ['PING'])).rejects.toThrow(/ECONNREFUSED/);
    await r.resume();
    expect(r.port).toBe(port);
    expect(await r.command('PING')).toBe('PONG');
    expect(await r.command('GET', 'k')).toBeNull();
  });

  it('freeze() makes it hang; thaw() makes it answer again', async () => {
    const r = redis();
    await r.freeze();
    await expect(respCommand(r.port, ['PING'], { timeoutMs: 300 })).rejects.toThrow(/no complete reply/);
    await r.thaw();
    expect(await r.command('PING')).toBe('PONG');
  });

  it('stop() frees the port and removes the temp dir', () => expectStopFrees(redis()));
});

describeWithServer(
  'redis cluster',
  { requires: REDIS_CLUSTER_REQUIRES, start: () => timed('redis cluster (3 masters)', startRedisCluster) },
  (server) => {
    const cluster = (): RedisCluster => server();

    it('every node reports cluster_state:ok and the slots are all covered', async () => {
      const { nodes } = cluster();
      expect(nodes).toHaveLength(3);
      for (const node of nodes) {
        const info = parseInfo(await node.command('CLUSTER', 'INFO'));
        expect(info.cluster_state).toBe('ok');
        expect(info.cluster_slots_assigned).toBe('16384');
        expect(info.cluster_known_nodes).toBe('3');
      }
      // A key is served by exactly one node; the others redirect.
      const replies = await Promise.all(nodes.map((n) => n.command('SET', 'some-key', '1').catch((e: unknown) => (e instanceof Error ? e.message : String(e)))));
      expect(replies.filter((r) => r === 'OK')).toHaveLength(1);
      expect(replies.filter((r) => /^MOVED /.test(String(r)))).toHaveLength(2);
    });

    it('stop() frees every port', async () => {
      const ports = cluster().nodes.map((n) => n.port);
      await cluster().stop();
      for (const port of ports) expect(await isPortFree(port)).toBe(true);
    });
  },
);

describeWithServer(
  'redis sentinel',
  {
    requires: REDIS_SENTINEL_REQUIRES,
    start: () => timed('redis sentinel (2 sentinels + 1 replica)', () => startRedisSentinel({ sentinels: 2, replicas: 1 })),
  },
  (server) => {
    const sentinel = (): RedisSentinel => server();

    it('every sentinel reports the master, its replica and the other sentinel', async () => {
      const { master, replicas, sentinels, masterName } = sentinel();
      expect(masterName).toBe('mymaster');
      for (const s of sentinels) {
        expect(await s.command('SENTINEL', 'get-master-addr-by-name', 'mymaster')).toEqual(['127.0.0.1', String(master.port)]);
        expect(await s.masterAddress()).toEqual({ host: '127.0.0.1', port: master.port });
        const state = await s.masterState();
        expect(state['num-slaves']).toBe('1');
        expect(state['num-other-sentinels']).toBe('1');
      }
      await master.command('SET', 'k', 'v');
      await pollUntil('the replica to copy k', async () => (await replicas[0]!.command('GET', 'k')) === 'v');
    });

    it('stop() frees every port', async () => {
      const { master, replicas, sentinels } = sentinel();
      const ports = [master, ...replicas, ...sentinels].map((s) => s.port);
      await sentinel().stop();
      for (const port of ports) expect(await isPortFree(port)).toBe(true);
    });
  },
);

describeWithServer(
  'memcached',
  { requires: MEMCACHED_REQUIRES, start: () => timed('memcached', startMemcached) },
  (server) => {
    const memcached = (): MemcachedServer => server();

    it('set/get through the text protocol, and stats count them', async () => {
      const m = memcached();
      expect(await m.request('set greeting 0 0 5\r\nhello\r\n')).toBe('STORED\r\n');
      expect(await m.request('get greeting\r\n')).toBe('VALUE greeting 0 5\r\nhello\r\nEND\r\n');
      expect(await m.request('get missing\r\n')).toBe('END\r\n');
      expect(await m.request('set n 0 0 1\r\n7\r\n')).toBe('STORED\r\n');
      expect(await m.request('incr n 5\r\n')).toBe('12\r\n');
      const stats = await m.stats();
      expect(stats.cmd_get).toBe('2');
      expect(stats.get_hits).toBe('1');
      expect(stats.curr_items).toBe('2');
    });

    it('pause()/resume() on the same port comes back empty', async () => {
      const m = memcached();
      const port = m.port;
      await m.pause();
      await expect(m.request('version\r\n')).rejects.toThrow(/ECONNREFUSED/);
      await m.resume();
      expect(m.port).toBe(port);
      expect(await m.request('get greeting\r\n')).toBe('END\r\n');
    });

    it('stop() frees the port and removes the temp dir', () => expectStopFrees(memcached()));
  },
);

describeWithServer('postgres', { requires: POSTGRES_REQUIRES, start: () => timed('postgres', startPostgres) }, (server) => {
  const pg = (): PostgresServer => server();

  it('psql -h 127.0.0.1 -p PORT -U postgres -c "select 1" works', async () => {
    const p = pg();
    expect(p.connectionString).toBe(`postgres://postgres@127.0.0.1:${p.port}/postgres`);
    const psql = requirePath(POSTGRES_REQUIRES[2]!);
    const { stdout } = await run(psql, ['-X', '-At', '-h', '127.0.0.1', '-p', String(p.port), '-U', 'postgres', '-c', 'select 1']);
    expect(stdout.trim()).toBe('1');
  });

  it('statementCounts() counts normalized statements (when pg_stat_statements is installed)', async (ctx) => {
    const p = pg();
    if (!p.statementStats) ctx.skip();
    await p.resetStatementCounts();
    await p.query('select 40 + 2');
    await p.query('select 1 + 2');
    const counts = await p.statementCounts();
    expect(counts['select $1 + $2']).toBe(2);
  });

  it('pause()/resume() keeps the data', async () => {
    const p = pg();
    await p.query('create table t (x int); insert into t values (7)');
    await p.pause();
    await expect(p.query('select 1')).rejects.toThrow();
    await p.resume();
    expect(await p.query('select x from t')).toBe('7');
  });

  it('stop() frees the port and removes the temp dir', () => expectStopFrees(pg()));
});

describeWithServer('mariadb', { requires: MARIADB_REQUIRES, start: () => timed('mariadb', startMariadb) }, (server) => {
  const db = (): MariadbServer => server();

  it('mariadb -h127.0.0.1 -P PORT -uroot -e "select 1" works, database test exists', async () => {
    const d = db();
    expect([d.user, d.password, d.database]).toEqual(['root', '', 'test']);
    const mariadb = requirePath(MARIADB_REQUIRES[2]!);
    const { stdout } = await run(mariadb, ['-h127.0.0.1', `-P${d.port}`, '-uroot', '-N', '-e', 'select 1']);
    expect(stdout.trim()).toBe('1');
    expect(await d.query('select database()')).toBe('test');
  });

  it('pause()/resume() keeps the data', async () => {
    const d = db();
    await d.query('create table t (x int); insert into t values (7)');
    await d.pause();
    await d.resume();
    expect(await d.query('select x from t')).toBe('7');
  });

  it('stop() frees the port and removes the temp dir', () => expectStopFrees(db()));
});

describeWithServer('dynalite', { requires: DYNALITE_REQUIRES, start: () => timed('dynalite', startDynalite) }, (server) => {
  const dynamo = (): DynaliteServer => server();

  it('answers ListTables with X-Amz-Target: DynamoDB_20120810.ListTables', async () => {
    const d = dynamo();
    expect(d.endpoint).toBe(`http://127.0.0.1:${d.port}`);
    expect(await d.call('ListTables', {})).toEqual({ status: 200, body: { TableNames: [] } });
    // Without any auth header: still a DynamoDB-shaped error.
    const response = await fetch(d.endpoint, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'DynamoDB_20120810.ListTables', 'Content-Type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(((await response.json()) as { __type: string }).__type).toMatch(/MissingAuthenticationToken/);
  });

  it('conditional writes fail like DynamoDB', async () => {
    const d = dynamo();
    await d.createTable({
      TableName: 'sessions',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    const put = () =>
      d.call('PutItem', { TableName: 'sessions', Item: { id: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(id)' });
    expect(await put()).toEqual({ status: 200, body: {} });
    const second = await put();
    expect(second.status).toBe(400);
    expect((second.body as { __type: string }).__type).toMatch(/ConditionalCheckFailedException/);
  });

  it('stop() frees the port and removes the temp dir', () => expectStopFrees(dynamo()));
});

// -------------------------------------------------------------------------------------------
// No leaks when the test process goes away
// -------------------------------------------------------------------------------------------

describe.skipIf(!findBinary('redis-server'))('no leaks', () => {
  /** Runs a node process that starts redis, prints {pid, port, dir}, then exits or waits. */
  async function childWithRedis(then: 'exit' | 'wait') {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'sessionkit-leak-test-'));
    const script = path.join(scratch, 'child.mts');
    await writeFile(
      script,
      [
        `import { startRedis } from ${JSON.stringify(path.join(here, 'redis.ts'))};`,
        'const redis = await startRedis();',
        'console.log(JSON.stringify({ pid: redis.pid, port: redis.port, dir: redis.dir }));',
        then === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing`)));
    });
    const info = JSON.parse(line) as { pid: number; port: number; dir: string };
    return { child, exited, info, cleanup: () => rm(scratch, { recursive: true, force: true }) };
  }

  /** Running, and not a zombie (a killed orphan may linger as one until init reaps it). */
  const isAlive = (pid: number): boolean => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  };

  /**
   * The dead server's port can be bound again. Polled, because another vitest fork may have been
   * handed the same port by the kernel the moment it was released and hold it briefly.
   */
  const expectPortReleased = (port: number) =>
    pollUntil(`port ${port} to be free`, () => isPortFree(port), { timeoutMs: 10_000 });

  it('process exit kills the servers and removes their temp dirs', async () => {
    const { exited, info, cleanup } = await childWithRedis('exit');
    await exited;
    await pollUntil('the redis server to be gone', async () => !isAlive(info.pid), { timeoutMs: 5_000 });
    await expectPortReleased(info.port);
    expect(existsSync(info.dir)).toBe(false);
    await cleanup();
  });

  it('SIGKILL of the test process still kills the servers (setpriv --pdeathsig)', async (ctx) => {
    if (!findBinary('setpriv')) ctx.skip();
    const { child, exited, info, cleanup } = await childWithRedis('wait');
    expect(isAlive(info.pid)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    await pollUntil('the redis server to be gone', async () => !isAlive(info.pid), { timeoutMs: 5_000 });
    await expectPortReleased(info.port);
    await rm(info.dir, { recursive: true, force: true }); // nobody was left to remove it
    await cleanup();
  });
});
