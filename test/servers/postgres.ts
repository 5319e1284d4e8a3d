/**
 * A throwaway PostgreSQL cluster: initdb (trust auth, superuser "postgres") in a temp dir, then
 * `postgres` on a free port, TCP on 127.0.0.1 only. Durability is off (fsync, synchronous_commit,
 * full_page_writes). pause()/resume() keeps the data (fast shutdown, then start again).
 *
 * When run as root, initdb and the server run as the `postgres` OS user (initdb refuses root) and
 * the temp dir belongs to it. When pg_stat_statements is installed it is preloaded and created,
 * and statementCounts() reads it.
 *
 *   const pg = await startPostgres();
 *   pg.connectionString;                  // postgres://postgres@127.0.0.1:PORT/postgres
 *   await pg.query('select 1');           // '1' (psql -At output)
 *   await pg.statementCounts();           // { 'select $1': 1, ... }
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run, type RunAs } from './process.js';
import { binary, postgresBinCandidates, requirePath } from './require-binary.js';
import { ManagedServer, type ManagedServerOptions } from './server.js';

const pgBinary = (name: string) => binary(name, 'apt-get install -y postgresql', postgresBinCandidates(name));
const INITDB = pgBinary('initdb');
const POSTGRES = pgBinary('postgres');
const PSQL = pgBinary('psql');
const PG_ISREADY = pgBinary('pg_isready');
const PG_CONFIG = pgBinary('pg_config');

export const POSTGRES_REQUIRES = [INITDB, POSTGRES, PSQL, PG_ISREADY];

/** uid/gid of an OS user from /etc/passwd, or undefined. */
function lookupUser(name: string): RunAs | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** Root must hand PostgreSQL to another user; anyone else runs it as themselves. */
function postgresOsUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = lookupUser('postgres');
  if (!user) throw new Error('running as root, but there is no `postgres` OS user to run PostgreSQL as');
  return user;
}

/** pg_stat_statements' control file and library exist for the installed server. */
async function hasPgStatStatements(): Promise<boolean> {
  const pgConfig = PG_CONFIG.find();
  if (!pgConfig) return false;
  const { stdout } = await run(pgConfig, ['--sharedir', '--pkglibdir']);
  const [shareDir = '', libDir = ''] = stdout.trim().split('\n');
  return (
    existsSync(path.join(shareDir, 'extension', 'pg_stat_statements.control')) &&
    existsSync(path.join(libDir, 'pg_stat_statements.so'))
  );
}

export interface PostgresOptions extends ManagedServerOptions {
  /** More `-c name=value` settings, e.g. { max_connections: '20' }. */
  settings?: Record<string, string>;
  /** Preload and create pg_stat_statements when installed. Default true. */
  statementStats?: boolean;
}

export class PostgresServer extends ManagedServer {
  readonly user = 'postgres';
  readonly database = 'postgres';
  /** Whether statementCounts() works (pg_stat_statements installed and enabled). */
  statementStats = false;

  constructor(private readonly pgOptions: PostgresOptions = {}) {
    super('postgres', pgOptions, postgresOsUser());
  }

  get connectionString(): string {
    return `postgres://${this.user}@${this.host}:${this.port}/${this.database}`;
  }

  /** Runs SQL through psql (unaligned, tuples only: `psql -At`); returns its trimmed stdout. */
  async query(sql: string, database = this.database): Promise<string> {
    const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.host, '-p', String(this.port)];
    const { stdout } = await run(requirePath(PSQL), [...args, '-U', this.user, '-d', database, '-c', sql]);
    return stdout.trim();
  }

  /**
   * Calls per normalized statement (constants become $1, $2 ...) in all databases since start
   * or resetStatementCounts(), from pg_stat_statements; the harness's own queries against
   * pg_stat_statements are left out.
   */
  async statementCounts(): Promise<Record<string, number>> {
    if (!this.statementStats) throw new Error('pg_stat_statements is not enabled on this server');
    const json = await this.query(
      `select coalesce(json_object_agg(query, calls), '{}') from (
         select query, sum(calls)::int as calls from pg_stat_statements
         where query not like '%pg_stat_statements%' group by query) s`,
    );
    return JSON.parse(json) as Record<string, number>;
  }

  async resetStatementCounts(): Promise<void> {
    await this.query('select pg_stat_statements_reset()');
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  protected override async prepare(): Promise<void> {
    this.statementStats = (this.pgOptions.statementStats ?? true) && (await hasPgStatStatements());
    const args = ['-D', this.dataDir, '-U', this.user, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
    await run(requirePath(INITDB), args, { user: this.runAs, cwd: this.dir, env: { LC_ALL: 'C' } });
  }

  protected spawnSpec(port: number) {
    const settings: Record<string, string> = {
      listen_addresses: this.host,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      ...(this.statementStats ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } : {}),
      ...this.pgOptions.settings,
    };
    const args = ['-D', this.dataDir, '-p', String(port), '-k', this.dir];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    // SIGINT = fast shutdown: sessions are ended, the server stops cleanly at once.
    return { command: requirePath(POSTGRES), args, cwd: this.dir, env: { LC_ALL: 'C' }, stopSignal: 'SIGINT' as const };
  }

  protected async isReady(): Promise<boolean> {
    const args = ['-q', '-h', this.host, '-p', String(this.port), '-U', this.user, '-d', this.database];
    return (await run(requirePath(PG_ISREADY), args, { allowFailure: true })).code === 0;
  }

  protected override async afterFirstStart(): Promise<void> {
    if (this.statementStats) await this.query('create extension if not exists pg_stat_statements');
  }
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  return new PostgresServer(options).start();
}
