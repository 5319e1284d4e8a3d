/**
 * Which JavaScript runtime runs the tests, and what the conformance suites need to know of
 * it. The globals are typed here, structurally, by the few members used: the project has
 * no Bun or Deno type packages.
 */
export interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
export interface BunGlobal {
  readonly version: string;
  serve(options: { port: number; hostname: string; fetch: (request: Request) => Response | Promise<Response> }): BunServer;
}
export interface DenoServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
}
export interface DenoGlobal {
  readonly version: { deno: string };
  serve(options: { port: number; hostname: string; onListen?: () => void }, handler: (request: Request) => Response | Promise<Response>): DenoServer;
}

const globals = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal };
export const bun = globals.Bun;
export const deno = globals.Deno;

export type RuntimeName = 'Node' | 'Bun' | 'Deno';
export const runtimeName: RuntimeName = bun ? 'Bun' : deno ? 'Deno' : 'Node';
