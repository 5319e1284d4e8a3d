/**
 * One request/response exchange over a fresh TCP connection: the harness talks to redis and
 * memcached through this (no client libraries needed).
 */
import net from 'node:net';
import { LOOPBACK } from './ports.js';

export interface ExchangeOptions {
  host?: string;
  /** Default 2 000 ms. */
  timeoutMs?: number;
}

/**
 * Connects, writes `payload`, and collects bytes until `parse(received)` returns something other
 * than undefined (undefined = incomplete, wait for more). Rejects on connection errors, on
 * close before a complete reply, and on timeout.
 */
export function exchange<T>(
  port: number,
  payload: string | Uint8Array,
  parse: (received: Buffer) => T | undefined,
  { host = LOOPBACK, timeoutMs = 2_000 }: ExchangeOptions = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = net.connect({ host, port });
    const finish = (error: Error | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(value as T);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error(`no complete reply from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`${host}:${port} closed the connection before a complete reply`)));
    socket.once('connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const value = parse(received);
        if (value !== undefined) finish(undefined, value);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}
