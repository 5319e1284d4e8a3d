/**
 * A throwaway memcached (TCP only, on 127.0.0.1). pause()/resume() brings it back empty; it is
 * stopped with SIGKILL (nothing to flush; its clean stop takes ~0.8 s).
 *
 *   const memcached = await startMemcached();
 *   await memcached.request('set k 0 0 1\r\nv\r\n'); // 'STORED\r\n'
 *   (await memcached.stats()).cmd_get
 */
import { binary, requirePath } from './require-binary.js';
import { ManagedServer, type ManagedServerOptions } from './server.js';
import { exchange } from './socket.js';

const MEMCACHED = binary('memcached', 'apt-get install -y memcached');
export const MEMCACHED_REQUIRES = [MEMCACHED];

/**
 * The complete reply to ONE text-protocol command, or undefined while incomplete. VALUE blocks
 * (with their data) and STAT lines continue a reply; any other line (END, STORED, NOT_FOUND, a
 * number after incr, VERSION ..., ERROR) ends it.
 */
export function textReply(received: Buffer): string | undefined {
  let offset = 0;
  for (;;) {
    const lineEnd = received.indexOf('\r\n', offset);
    if (lineEnd < 0) return undefined;
    const line = received.toString('utf8', offset, lineEnd);
    if (line.startsWith('VALUE ')) {
      offset = lineEnd + 2 + Number(line.split(' ')[3]) + 2;
    } else if (line.startsWith('STAT ')) {
      offset = lineEnd + 2;
    } else {
      return received.toString('utf8', 0, lineEnd + 2);
    }
  }
}

export interface MemcachedOptions extends ManagedServerOptions {
  /** More memcached arguments, e.g. ['-m', '8'] (megabytes). */
  extraArgs?: string[];
}

export class MemcachedServer extends ManagedServer {
  constructor(private readonly memcachedOptions: MemcachedOptions = {}) {
    super('memcached', memcachedOptions);
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Sends one raw text-protocol command (with its data block) and returns the whole reply. */
  request(text: string): Promise<string> {
    return exchange(this.port, text, textReply);
  }

  /** `stats` as name → value, e.g. { cmd_get: '3', get_hits: '2', curr_items: '1', ... }. */
  async stats(): Promise<Record<string, string>> {
    const reply = await this.request('stats\r\n');
    const stats: Record<string, string> = {};
    for (const line of reply.split('\r\n')) {
      const [tag, name, ...value] = line.split(' ');
      if (tag === 'STAT' && name) stats[name] = value.join(' ');
    }
    return stats;
  }

  protected spawnSpec(port: number) {
    // -U 0: no UDP. -u root: memcached refuses to run as root without it.
    const args = ['-l', this.host, '-p', String(port), '-U', '0', '-u', 'root', ...(this.memcachedOptions.extraArgs ?? [])];
    // SIGKILL: nothing to flush, and a clean SIGTERM/SIGINT stop takes memcached ~0.8 s.
    return { command: requirePath(MEMCACHED), args, cwd: this.dir, stopSignal: 'SIGKILL' as const };
  }

  protected async isReady(): Promise<boolean> {
    return (await this.request('version\r\n')).startsWith('VERSION');
  }
}

export async function startMemcached(options: MemcachedOptions = {}): Promise<MemcachedServer> {
  return new MemcachedServer(options).start();
}
