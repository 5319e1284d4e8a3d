/**
 * The Redis clients the store accepts (node-redis and ioredis, single server, Sentinel or
 * Cluster), told apart by their methods: one command to a key's server, SCAN's servers (the
 * masters of a cluster), and the check of node-redis's error listener.
 */
import { SessionConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

export type Arg = string | Buffer;
/** One command against the key's node, replies with bulk strings as Buffers. */
export type Call = (key: string, readonly: boolean, args: Arg[]) => Promise<unknown>;
/** One command on one given server, whichever library: what SCAN needs, which walks one server's keys. */
export type ServerCall = (args: Arg[]) => Promise<unknown>;

// node-redis: replies with RESP blob strings ('$', code 36) as Buffers instead of text; and no
// timeout of its own (node-redis 6 gives every command a 5 s AbortSignal.timeout and its
// listeners, about a tenth of the application's CPU per command in a profile): each call is
// bounded by the store's own `timeout` already (storeCall).
const BUFFERS = { typeMapping: { 36: Buffer }, timeout: 0 };

/** A node-redis cluster or an ioredis Cluster: its keys live on several servers. */
export function isCluster(client: object): boolean {
  const c = client as Record<string, unknown>;
  return 'masters' in c || typeof c.getSlotRandomNode === 'function' || c.isCluster === true;
}

/** Adapts the client's own command API, whichever library it comes from. */
export function callerFor(client: object): Call {
  const c = client as Record<string, unknown>;
  if (typeof c.callBuffer === 'function') {
    // ioredis (Redis, Cluster, Sentinel): routes by the key in the arguments itself.
    const callBuffer = c.callBuffer as (command: string, ...args: Arg[]) => Promise<unknown>;
    return (_key, _readonly, [command, ...args]) => callBuffer.call(client, command as string, ...args);
  }
  if (typeof c.sendCommand === 'function' && isCluster(client)) {
    // node-redis cluster: sendCommand(firstKey, isReadonly, args, options) follows MOVED itself.
    const send = c.sendCommand as (key: string, readonly: boolean, args: Arg[], options: object) => Promise<unknown>;
    return (key, readonly, args) => send.call(client, key, readonly, args, BUFFERS);
  }
  if (typeof c.sendCommand === 'function') {
    const send = c.sendCommand as (args: Arg[], options: object) => Promise<unknown>;
    return (_key, _readonly, args) => send.call(client, args, BUFFERS);
  }
  throw new SessionConfigError('redisStore: `client` must be a node-redis client or cluster, or an ioredis Redis or Cluster.');
}

/** A command sender for each master of a cluster, from ioredis's `nodes('master')` or node-redis's `masters`. */
export async function mastersOf(cluster: object): Promise<ServerCall[]> {
  const c = cluster as Record<string, unknown>;
  if (typeof c.nodes === 'function' && typeof c.callBuffer === 'function') {
    const masters = () => (c.nodes as (role: string) => { callBuffer(command: string, ...args: Arg[]): Promise<unknown> }[]).call(cluster, 'master');
    // Until it is ready, ioredis knows only its startup nodes; a command sent before waits for that.
    if (c.status !== 'ready') await (c.callBuffer as (command: string) => Promise<unknown>).call(cluster, 'PING');
    return masters().map((node) => ([command, ...args]) => node.callBuffer(command as string, ...args));
  }
  type NodeClient = { sendCommand(args: Arg[], options: object): Promise<unknown> };
  const nodeClient = c.nodeClient as (node: unknown) => NodeClient | Promise<NodeClient>;
  const nodes = await Promise.all((c.masters as unknown[]).map(async (master) => nodeClient.call(cluster, master)));
  return nodes.map((node) => (args) => node.sendCommand(args, BUFFERS));
}

/**
 * node-redis emits 'error' on every connection failure, and an EventEmitter with no
 * listener for it throws: the first Redis restart or network blip ends the process.
 * ioredis does not (it prints the error itself), so only node-redis clients are checked.
 */
export function warnWithoutErrorListener(client: object, logger: Pick<Logger, 'warn'>): void {
  const c = client as { callBuffer?: unknown; sendCommand?: unknown; listenerCount?: (event: string) => number };
  if (typeof c.callBuffer === 'function' || typeof c.sendCommand !== 'function' || typeof c.listenerCount !== 'function') return;
  if (c.listenerCount('error') > 0) return;
  logger.warn(
    "redis store: the node-redis client you passed has no 'error' listener, so the first connection error " +
      '(Redis restarting, a network blip) will end this process. Add one before passing it: ' +
      "client.on('error', (error) => console.warn('redis:', error.message)).",
  );
}
