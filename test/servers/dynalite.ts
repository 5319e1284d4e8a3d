/**
 * A throwaway DynamoDB (the `dynalite` npm package, in-memory) in a child process on a free port,
 * so it can be paused, frozen and killed like the other servers. Tables are ACTIVE at once
 * (createTableMs/deleteTableMs/updateTableMs = 0) — almost: use createTable(), which waits
 * for ACTIVE. pause()/resume() brings it back empty.
 * Missing: UpdateTimeToLive and TransactWriteItems (dynalite does not implement them).
 *
 *   const dynamo = await startDynalite();
 *   new DynamoDBClient({ endpoint: dynamo.endpoint, region: dynamo.region, credentials: dynamo.credentials });
 *   await dynamo.call('ListTables', {});   // { status: 200, body: { TableNames: [] } }
 */
import { pollUntil } from './process.js';
import { nodePackage, requirePath } from './require-binary.js';
import { ManagedServer, type ManagedServerOptions } from './server.js';

const DYNALITE = nodePackage('dynalite', 'dynalite/cli.js');
export const DYNALITE_REQUIRES = [DYNALITE];

export class DynaliteServer extends ManagedServer {
  readonly region = 'us-east-1';
  readonly credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

  constructor(options: ManagedServerOptions = {}) {
    super('dynalite', options);
  }

  get endpoint(): string {
    return `http://${this.host}:${this.port}`;
  }

  /**
   * One DynamoDB JSON API call without an SDK (dynalite checks that a SigV4-shaped
   * Authorization header is present, not the signature). Errors come back as
   * `{ status: 400, body: { __type: '...#ResourceNotFoundException', message } }`.
   */
  async call(operation: string, input: object): Promise<{ status: number; body: unknown }> {
    const date = new Date().toISOString().replace(/[-:]|\.\d+/g, ''); // 20260101T000000Z
    const scope = `${this.credentials.accessKeyId}/${date.slice(0, 8)}/${this.region}/dynamodb/aws4_request`;
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `DynamoDB_20120810.${operation}`,
        'X-Amz-Date': date,
        Authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0`,
      },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /**
   * CreateTable, then waits until DescribeTable says ACTIVE: even with createTableMs = 0 a new
   * table is CREATING for a moment, and item calls get ResourceNotFoundException (like DynamoDB).
   */
  async createTable(input: { TableName: string } & Record<string, unknown>): Promise<void> {
    const created = await this.call('CreateTable', input);
    if (created.status !== 200) throw new Error(`CreateTable failed: ${JSON.stringify(created.body)}`);
    await pollUntil(`table ${input.TableName} to become ACTIVE`, async () => {
      const { body } = await this.call('DescribeTable', { TableName: input.TableName });
      return (body as { Table?: { TableStatus?: string } }).Table?.TableStatus === 'ACTIVE';
    }, { intervalMs: 5, timeoutMs: 5_000 });
  }

  protected spawnSpec(port: number) {
    const args = [requirePath(DYNALITE), '--host', this.host, '--port', String(port)];
    args.push('--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0');
    return { command: process.execPath, args, cwd: this.dir };
  }

  protected async isReady(): Promise<boolean> {
    return (await this.call('ListTables', {})).status === 200;
  }
}

export async function startDynalite(options: ManagedServerOptions = {}): Promise<DynaliteServer> {
  return new DynaliteServer(options).start();
}
