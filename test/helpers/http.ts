import type { AddressInfo } from 'node:net';
import { createServer, type RequestListener, type Server } from 'node:http';
import { bun, deno } from '../runtimes/runtime.js';

/** A real HTTP server on a free loopback port, for tests that go through the network stack. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** A request listener; Koa's app.callback() and @hono/node-server's return a promise (settled by themselves). */
export type Listener = (...args: Parameters<RequestListener>) => void | Promise<void>;

export async function listen(handler: Listener): Promise<TestServer> {
  const server: Server = createServer((req, res) => {
    // Node ignores a listener's return value; so does this (the frameworks answer their own errors).
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A minimal cookie jar: keeps the name=value pairs from Set-Cookie, honours deletion. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** fetch with this jar's cookies, storing what comes back. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header();
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const response = await fetch(url, { redirect: 'manual', ...init, headers });
    this.store(response);
    return response;
  }
}

type FetchHandler = (request: Request) => Response | Promise<Response>;

/** The server `serveFetch` uses in this runtime: the runtime's own where it has one. */
export const fetchServer = bun ? 'Bun.serve' : deno ? 'Deno.serve' : '@hono/node-server';

/**
 * Serves a Web-standard fetch handler over real HTTP on a free loopback port: with Bun.serve
 * under Bun, Deno.serve under Deno (as an application there would), else through
 * @hono/node-server's bridge to node:http.
 */
export async function serveFetch(handler: FetchHandler): Promise<TestServer> {
  if (bun) {
    const server = bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handler });
    return { url: `http://127.0.0.1:${server.port}`, close: async () => server.stop(true) };
  }
  if (deno) {
    const server = deno.serve({ port: 0, hostname: '127.0.0.1', onListen: () => {} }, handler);
    return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
  }
  const { getRequestListener } = await import('@hono/node-server');
  return listen(getRequestListener(handler));
}
