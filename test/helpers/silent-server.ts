/**
 * A TCP server that accepts connections and never answers: a database server that hangs,
 * on a port the test holds itself. A timeout check run against it always runs, whatever
 * else listens on the machine, instead of only when some default port happens to be free.
 */
import net from 'node:net';

export interface SilentServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on `port` of 127.0.0.1 (0: a free one); a port already taken is an error that says so. */
export function silentServer(port = 0): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {}); // the client giving up resets the connection
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`127.0.0.1:${port} is in use: this test must hold that port itself (a server that never answers); stop what listens there`) : error);
    });
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((closed) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => closed());
          }),
      });
    });
  });
}
