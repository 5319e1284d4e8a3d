/**
 * A throwaway MariaDB: mariadb-install-db into a temp dir, then mariadbd on a free port, TCP on
 * 127.0.0.1 only, user root with an empty password, an empty database `test`. Durability is off.
 * pause()/resume() keeps the data.
 *
 *   const db = await startMariadb();
 *   db.connectionString;                        // mysql://root@127.0.0.1:PORT/test
 *   await db.query('select 1');                 // '1' (mariadb --batch output)
 */
import path from 'node:path';
import { run } from './process.js';
import { binary, requirePath } from './require-binary.js';
import { ManagedServer, type ManagedServerOptions } from './server.js';

const INSTALL = 'apt-get install -y mariadb-server';
const MARIADB_INSTALL_DB = binary('mariadb-install-db', INSTALL);
const MARIADBD = binary('mariadbd', INSTALL);
const MARIADB = binary('mariadb', 'apt-get install -y mariadb-client');

export const MARIADB_REQUIRES = [MARIADB_INSTALL_DB, MARIADBD, MARIADB];

/** Small and fast: for install-db and the server alike (they must agree on the log size). */
const COMMON_ARGS = ['--no-defaults', '--innodb-log-file-size=8M', '--innodb-buffer-pool-size=32M'];

export interface MariadbOptions extends ManagedServerOptions {
  /** More mariadbd arguments, e.g. ['--max-connections=20']. */
  extraArgs?: string[];
}

export class MariadbServer extends ManagedServer {
  readonly user = 'root';
  readonly password = '';
  readonly database = 'test';

  constructor(private readonly mariadbOptions: MariadbOptions = {}) {
    super('mariadb', mariadbOptions);
  }

  get connectionString(): string {
    return `mysql://${this.user}@${this.host}:${this.port}/${this.database}`;
  }

  /** Runs SQL through the mariadb client (`--batch --skip-column-names`); returns trimmed stdout. */
  async query(sql: string, database = this.database): Promise<string> {
    const args = ['--no-defaults', '--batch', '--skip-column-names', '--connect-timeout=5', `-h${this.host}`, `-P${this.port}`, `-u${this.user}`];
    const { stdout } = await run(requirePath(MARIADB), [...args, ...(database ? [database] : []), '-e', sql]);
    return stdout.trim();
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  protected override async prepare(): Promise<void> {
    const args = [
      ...COMMON_ARGS,
      `--datadir=${this.dataDir}`,
      '--user=root',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ];
    await run(requirePath(MARIADB_INSTALL_DB), args, { cwd: this.dir });
  }

  protected spawnSpec(port: number) {
    const args = [
      ...COMMON_ARGS,
      `--datadir=${this.dataDir}`,
      '--user=root',
      `--bind-address=${this.host}`,
      `--port=${port}`,
      `--socket=${path.join(this.dir, 'mariadb.sock')}`,
      `--pid-file=${path.join(this.dir, 'mariadb.pid')}`,
      `--tmpdir=${this.dir}`,
      '--skip-name-resolve',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-doublewrite=0',
      '--innodb-use-native-aio=0',
      '--innodb-buffer-pool-dump-at-shutdown=0',
      '--innodb-buffer-pool-load-at-startup=0',
      ...(this.mariadbOptions.extraArgs ?? []),
    ];
    return { command: requirePath(MARIADBD), args, cwd: this.dir };
  }

  protected async isReady(): Promise<boolean> {
    await this.query('select 1', '');
    return true;
  }

  protected override async afterFirstStart(): Promise<void> {
    await this.query(`create database if not exists \`${this.database}\``, '');
  }
}

export async function startMariadb(options: MariadbOptions = {}): Promise<MariadbServer> {
  return new MariadbServer(options).start();
}
