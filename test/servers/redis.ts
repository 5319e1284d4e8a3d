/**
 * Throwaway redis servers: a single server, a 3-master cluster, and master + sentinels.
 * No persistence (`--save '' --appendonly no`): pause()/resume() brings a server back empty.
 *
 *   const redis = await startRedis();            // redis.url, redis.port, redis.commandStats()
 *   await redis.pause(); await redis.resume();   // outage and recovery on the same port
 *   const cluster = await startRedisCluster();   // cluster.nodes[i].port
 *   const sentinel = await startRedisSentinel(); // sentinel.sentinels[0].port, sentinel.master.port
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { getFreePort } from './ports.js';
import { pollUntil, run } from './process.js';
import { binary, requirePath } from './require-binary.js';
import { parseInfo, respCommand, type RespValue } from './resp.js';
import { ManagedServer, startAll, stopAll, type ManagedServerOptions } from './server.js';

const REDIS_SERVER = binary('redis-server', 'apt-get install -y redis-server');
const REDIS_CLI = binary('redis-cli', 'apt-get install -y redis-tools');

export const REDIS_REQUIRES = [REDIS_SERVER];
export const REDIS_CLUSTER_REQUIRES = [REDIS_SERVER, REDIS_CLI];
export const REDIS_SENTINEL_REQUIRES = [REDIS_SERVER];

export interface RedisOptions extends ManagedServerOptions {
  /** More redis-server arguments, e.g. ['--maxmemory', '1mb']. May depend on the port. */
  extraArgs?: string[] | ((port: number) => string[] | Promise<string[]>);
}

/** One redis-server process (also a cluster node or a replica). */
export class RedisServer extends ManagedServer {
  constructor(
    private readonly redisOptions: RedisOptions = {},
    name = 'redis',
  ) {
    super(name, redisOptions);
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  /** Sends one command over a fresh connection; an error reply rejects with RespError. */
  command(...args: (string | number)[]): Promise<RespValue> {
    return respCommand(this.port, args);
  }

  /**
   * Calls per command since start (or resetStats()), from INFO commandstats, e.g.
   * `{ get: 3, set: 1, 'client|setname': 1 }`. Counts include the harness's own commands
   * (PING while starting, INFO itself): call resetStats() before the code you measure.
   */
  async commandStats(): Promise<Record<string, number>> {
    const info = parseInfo(await this.command('INFO', 'commandstats'));
    const stats: Record<string, number> = {};
    for (const [key, value] of Object.entries(info)) {
      const calls = /(?:^|,)calls=(\d+)/.exec(value);
      if (key.startsWith('cmdstat_') && calls) stats[key.slice('cmdstat_'.length)] = Number(calls[1]);
    }
    return stats;
  }

  /** CONFIG RESETSTAT: zeroes commandStats(). */
  async resetStats(): Promise<void> {
    await this.command('CONFIG', 'RESETSTAT');
  }

  protected async spawnSpec(port: number) {
    const { extraArgs = [] } = this.redisOptions;
    const extra = typeof extraArgs === 'function' ? await extraArgs(port) : extraArgs;
    const args = ['--port', String(port), '--bind', this.host, '--save', '', '--appendonly', 'no', '--dir', this.dir];
    // Replicas sync at once instead of after the default 5 s wait for more replicas.
    args.push('--repl-diskless-sync-delay', '0');
    return { command: requirePath(REDIS_SERVER), args: [...args, ...extra], cwd: this.dir };
  }

  protected async isReady(): Promise<boolean> {
    return (await this.command('PING')) === 'PONG';
  }
}

/** A redis-server on a free port, ready for commands. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  return new RedisServer(options).start();
}

// ---------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------

export interface RedisCluster {
  /** The masters (full RedisServer objects: pause/resume/commandStats work per node). */
  nodes: RedisServer[];
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Number of masters (no replicas). Default 3, the minimum redis-cli accepts. */
  masters?: number;
  /** Default 30 000 ms. */
  readyTimeoutMs?: number;
}

/**
 * `masters` cluster-enabled nodes joined by `redis-cli --cluster create`, returned once every
 * node reports cluster_state:ok and knows all the others (before that: CLUSTERDOWN errors).
 * Each node's cluster bus gets its own free port (`--cluster-port`), not port + 10000.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { masters = 3, readyTimeoutMs = 30_000 } = options;
  const nodes = await startAll(
    Array.from({ length: masters }, () => () =>
      startRedis({
        extraArgs: async () => [
          ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
          ...['--cluster-port', String(await getFreePort()), '--cluster-node-timeout', '5000'],
        ],
      }),
    ),
  );
  const stop = () => stopAll(nodes);
  try {
    const addresses = nodes.map((node) => `${node.host}:${node.port}`);
    const create = ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'];
    await run(requirePath(REDIS_CLI), create, { timeoutMs: readyTimeoutMs });
    const clusterInfo = (node: RedisServer) => node.command('CLUSTER', 'INFO').then(parseInfo);
    await pollUntil(
      'every cluster node to report cluster_state:ok',
      async () => {
        const infos = await Promise.all(nodes.map(clusterInfo));
        return infos.every((i) => i.cluster_state === 'ok' && i.cluster_known_nodes === String(masters));
      },
      { timeoutMs: readyTimeoutMs },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}

// ---------------------------------------------------------------------------------------------
// Sentinel
// ---------------------------------------------------------------------------------------------

const MASTER_NAME = 'mymaster';

export interface SentinelOptions {
  /** Default 1. */
  sentinels?: number;
  /** Replicas of the master (for failover tests). Default 0. */
  replicas?: number;
  /** Sentinels that must agree the master is down. Default: a majority. */
  quorum?: number;
  /** `sentinel down-after-milliseconds`. Default 1 000. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`. Default 5 000. */
  failoverTimeoutMs?: number;
  /** Default 30 000 ms. */
  readyTimeoutMs?: number;
}

interface SentinelConfig {
  masterPort: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

/** One `redis-server sentinel.conf --sentinel` process watching `mymaster`. */
export class SentinelServer extends ManagedServer {
  readonly masterName = MASTER_NAME;

  constructor(private readonly config: SentinelConfig) {
    super('redis-sentinel');
  }

  command(...args: (string | number)[]): Promise<RespValue> {
    return respCommand(this.port, args);
  }

  /** `SENTINEL get-master-addr-by-name mymaster` as { host, port }. */
  async masterAddress(): Promise<{ host: string; port: number }> {
    const reply = await this.command('SENTINEL', 'get-master-addr-by-name', MASTER_NAME);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    return { host: String(reply[0]), port: Number(reply[1]) };
  }

  /** `SENTINEL master mymaster` as an object (flags, num-slaves, num-other-sentinels ...). */
  async masterState(): Promise<Record<string, string>> {
    const reply = await this.command('SENTINEL', 'master', MASTER_NAME);
    const fields = Array.isArray(reply) ? reply.map(String) : [];
    const state: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) state[fields[i]!] = fields[i + 1]!;
    return state;
  }

  protected async spawnSpec(port: number) {
    // Sentinel rewrites its config file, so it lives (writable) in our temp dir.
    const { masterPort, quorum, downAfterMs, failoverTimeoutMs } = this.config;
    const file = path.join(this.dir, 'sentinel.conf');
    const lines = [
      `port ${port}`,
      `bind ${this.host}`,
      `dir ${this.dir}`,
      `sentinel monitor ${MASTER_NAME} ${this.host} ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfterMs}`,
      `sentinel failover-timeout ${MASTER_NAME} ${failoverTimeoutMs}`,
    ];
    await writeFile(file, `${lines.join('\n')}\n`);
    return { command: requirePath(REDIS_SERVER), args: [file, '--sentinel'], cwd: this.dir };
  }

  /** Answers, and is connected to the master it monitors. */
  protected async isReady(): Promise<boolean> {
    const flags = (await this.masterState()).flags ?? '';
    return flags.split(',').includes('master') && !/disconnected|s_down|o_down/.test(flags);
  }
}

export interface RedisSentinel {
  masterName: typeof MASTER_NAME;
  master: RedisServer;
  replicas: RedisServer[];
  sentinels: SentinelServer[];
  stop(): Promise<void>;
}

/**
 * A master (plus `replicas`) and `sentinels` sentinels monitoring it as "mymaster". Returned
 * once every sentinel is connected to the master, knows every replica and every other sentinel.
 */
export async function startRedisSentinel(options: SentinelOptions = {}): Promise<RedisSentinel> {
  const { sentinels: count = 1, replicas: replicaCount = 0, readyTimeoutMs = 30_000 } = options;
  const master = await startRedis();
  const replicas: RedisServer[] = [];
  const sentinels: SentinelServer[] = [];
  const stop = () => stopAll([...sentinels, ...replicas, master]);
  try {
    const replicaOf = ['--replicaof', master.host, String(master.port)];
    replicas.push(...(await startAll(Array.from({ length: replicaCount }, () => () => startRedis({ extraArgs: replicaOf })))));
    // Replicas first: a sentinel learns about replicas from the master's INFO, which it only
    // re-reads every 10 s.
    await pollUntil(
      `${replicaCount} replica(s) to sync with the master`,
      async () => {
        const infos = await Promise.all(replicas.map((r) => r.command('INFO', 'replication').then(parseInfo)));
        return infos.every((i) => i.master_link_status === 'up');
      },
      { timeoutMs: readyTimeoutMs },
    );
    const config: SentinelConfig = {
      masterPort: master.port,
      quorum: options.quorum ?? Math.floor(count / 2) + 1,
      downAfterMs: options.downAfterMs ?? 1_000,
      failoverTimeoutMs: options.failoverTimeoutMs ?? 5_000,
    };
    sentinels.push(...(await startAll(Array.from({ length: count }, () => () => new SentinelServer(config).start()))));
    await pollUntil(
      'every sentinel to see the master, its replicas and the other sentinels',
      async () => {
        const states = await Promise.all(sentinels.map((s) => s.masterState()));
        return states.every(
          (s) => s['num-slaves'] === String(replicaCount) && s['num-other-sentinels'] === String(count - 1),
        );
      },
      { timeoutMs: readyTimeoutMs },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { masterName: MASTER_NAME, master, replicas, sentinels, stop };
}
