/**
 * A throwaway CongoDB — the MongoDB wire-protocol server written in TypeScript inside
 * `@push.rocks/smartmongo` 2.2.0, in memory — in a child process on a free port, so it can be
 * paused, frozen and killed like the other servers. pause()/resume() brings it back empty.
 *
 * It is a stand-in, not MongoDB. Checked with the official driver 7 (test/stores/mongodb.test.ts
 * asserts each of these, so a CongoDB that changes fails the test instead of going unnoticed):
 * - only ObjectId `_id`: a string `_id` (sessionkit's key) is refused on insert and upsert,
 *   the insert refusal with code 11000 but without `keyPattern`;
 * - a TTL index is accepted and listed, but nothing ever removes expired documents;
 * - a unique secondary index is accepted but not enforced;
 * - an aborted transaction's writes stay.
 *
 *   const congo = await startCongoDB();
 *   const client = new MongoClient(congo.uri, { serverSelectionTimeoutMS: 500 });
 */
import { createConnection } from 'node:net';
import { nodePackage, requirePath } from './require-binary.js';
import { ManagedServer, type ManagedServerOptions } from './server.js';

const CONGODB = nodePackage(
  '@push.rocks/smartmongo',
  '@push.rocks/smartmongo/dist_ts/congodb/index.js',
  'npm install -D @push.rocks/smartmongo@2.2.0 (with the overrides in package.json, and MONGOMS_DISABLE_POSTINSTALL=1)',
);
export const CONGODB_REQUIRES = [CONGODB];

export class CongoDBServer extends ManagedServer {
  constructor(options: ManagedServerOptions = {}) {
    super('congodb', options);
  }

  /** The connection string for the official driver (a single server, no replica set). */
  get uri(): string {
    return `mongodb://${this.host}:${this.port}/?directConnection=true`;
  }

  protected spawnSpec(port: number) {
    const module = requirePath(CONGODB);
    const script = [
      `const { CongoServer } = await import(${JSON.stringify(module)});`,
      `const server = new CongoServer({ host: ${JSON.stringify(this.host)}, port: ${port} });`,
      'await server.start();',
      "process.stdout.write('congodb ready\\n');",
      "process.on('SIGTERM', () => { server.stop().finally(() => process.exit(0)); });",
    ].join('\n');
    return { command: process.execPath, args: ['--input-type=module', '-e', script], cwd: this.dir };
  }

  protected isReady(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection({ host: this.host, port: this.port });
      socket.setTimeout(500);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
  }
}

export async function startCongoDB(options: ManagedServerOptions = {}): Promise<CongoDBServer> {
  return new CongoDBServer(options).start();
}
