/**
 * Which memcached server holds a key. One client per server, and each key on exactly one
 * of them by rendezvous hashing (highest sha256(server, key) wins): a key always lives on
 * the same server, as with pymemcache's HashClient, and removing a server moves only the
 * keys it held.
 */
import { createHash } from 'node:crypto';
import { SessionConfigError } from '../../core/errors.js';

/** The part of memcache-client's MemcacheClient the store uses. */
export interface Client {
  gets(key: string): Promise<{ value: unknown; casUniq?: string | number } | undefined>;
  set(key: string, value: Buffer, options: { lifetime: number }): Promise<unknown>;
  add(key: string, value: Buffer, options: { lifetime: number }): Promise<unknown>;
  cas(key: string, value: Buffer, options: { lifetime: number; casUniq: string | number }): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  shutdown(): void;
}

export interface Node {
  client: Client;
  /** 'memcached at host:port', for messages. */
  where: string;
  /** Rendezvous hashing seed. */
  server: string;
}

export type ClientClass = new (options: object) => Client;

/**
 * One client per server, made by the store and shut down by it. The client's own bounds
 * follow the store's timeout: a command left unanswered a little longer than `timeout`
 * (memcache-client checks every 250 ms) also drops the connection, and the next command
 * reconnects, so a frozen server does not keep later commands queued behind the stuck
 * one. The store's own timer fires first and names the timeout in its error.
 */
export function ownNodes(MemcacheClient: ClientClass, servers: readonly string[], timeout: number): Node[] {
  const bound = timeout > 0 && Number.isFinite(timeout) ? timeout + 250 : 2_147_483_647;
  return servers.map((server) => ({
    client: new MemcacheClient({ server, cmdTimeout: bound, connectTimeout: bound, noDelay: true }),
    where: `memcached at ${server}`,
    server,
  }));
}

export function nodeFor(nodes: readonly Node[], key: string): Node {
  if (nodes.length === 1) return nodes[0]!;
  let best = nodes[0]!;
  let bestScore = -1;
  for (const node of nodes) {
    const score = createHash('sha256').update(node.server).update('\0').update(key).digest().readUInt32BE(0);
    if (score > bestScore) [best, bestScore] = [node, score];
  }
  return best;
}

/** 'host:port' entries from an array or a comma-separated string, checked and deduplicated. */
export function serverList(servers: string | readonly string[]): string[] {
  const list = (typeof servers === 'string' ? servers.split(',') : [...servers]).map((server) => server.trim()).filter(Boolean);
  if (list.length === 0) throw new SessionConfigError('memcachedStore: `servers` is empty; give at least one "host:port".');
  for (const server of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(server)) throw new SessionConfigError(`memcachedStore: server "${server}" is not "host:port".`);
  }
  return [...new Set(list)];
}

/**
 * The user's client as the one node. A single MemcacheClient given several servers is
 * refused: memcache-client treats them as redundant copies and sends each command to a
 * random one, so a session written to one would read as missing from another.
 */
export function borrowedNode(client: object): Node {
  const c = client as Record<string, unknown> & { options?: { server?: unknown } };
  for (const method of ['gets', 'set', 'add', 'cas', 'delete']) {
    if (typeof c[method] !== 'function') {
      throw new SessionConfigError(`memcachedStore: \`client\` must be a MemcacheClient from memcache-client (it has no ${method} method).`);
    }
  }
  const server = c.options?.server;
  const several =
    typeof server === 'object' && server !== null && !('server' in server) && Array.isArray((server as { servers?: unknown }).servers)
      ? (server as { servers: { server: string }[] }).servers
      : undefined;
  if (several && several.length > 1) {
    throw new SessionConfigError(
      'memcachedStore: this MemcacheClient has several servers, and memcache-client sends each command to a random one of them, ' +
        'so sessions would go missing. Pass `servers: [...]` instead: the store then keeps each key on one server.',
    );
  }
  const name = typeof server === 'string' ? server : (several?.[0]?.server ?? (server as { server?: string } | undefined)?.server);
  return { client: client as Client, where: name ? `memcached at ${name}` : 'the memcached server of the client you passed', server: name ?? '' };
}
