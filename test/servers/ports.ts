/**
 * Free loopback ports for throwaway test servers.
 *
 * A port found free here can still be taken by another process (another vitest fork starts its
 * own servers at the same moment) before our server binds it. So callers start servers through
 * {@link onFreePort}, which picks a fresh port and tries again when the server reports that its
 * address is in use ({@link PortInUseError}).
 */
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Thrown (by the process helpers) when a server could not bind its port. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    message: string,
  ) {
    super(message);
    this.name = 'PortInUseError';
  }
}

/** What servers print when their port is taken: redis, memcached, postgres, mariadb, node. */
export const PORT_IN_USE_OUTPUT = /address already in use|EADDRINUSE|errno: 98|error: 98/i;

/** Ports handed out by this process lately: the kernel may offer a just-closed port again. */
const handedOut = new Map<number, number>();
const HANDED_OUT_MS = 60_000;

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

/** True when nothing listens on host:port right now (we could bind it). */
export async function isPortFree(port: number, host = LOOPBACK): Promise<boolean> {
  try {
    await listenOnce(port, host);
    return true;
  } catch {
    return false;
  }
}

/** A port on 127.0.0.1 that nothing listens on now, and that this process has not handed out lately. */
export async function getFreePort(host = LOOPBACK): Promise<number> {
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > HANDED_OUT_MS) handedOut.delete(port);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0, host);
    if (!handedOut.has(port)) {
      handedOut.set(port, now);
      return port;
    }
  }
  throw new Error('getFreePort: the kernel kept offering ports this process already handed out');
}

/**
 * Runs `start(port)` with a free port; when it fails with {@link PortInUseError} (someone else
 * took the port between our check and the server's bind), tries again with a new port.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await start(await getFreePort());
    } catch (error) {
      if (!(error instanceof PortInUseError)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}
