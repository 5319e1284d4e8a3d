/**
 * `sessionkit cleanup` never prints a secret: the real bin, run on every error path a
 * credential can reach (a --url with a scheme it refuses or with none, a URL after the
 * wrong flag or on its own, a secret as the value of another setting, the drivers' own
 * failures), with passwords holding `/`, `@`, `:` and `%`, as typed and percent-encoded.
 * Neither stdout nor stderr (nor the --json summary) may hold the password in any form,
 * and the message must still say what to change. Cron mail and CI logs keep this output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getFreePort, LOOPBACK } from '../servers/ports.js';
import { POSTGRES_REQUIRES, startPostgres } from '../servers/postgres.js';
import { describeWithServer } from '../servers/suite.js';
import { runCli, type CliResult } from './run-cli.js';

/** The same password as a user types it into a URL (no encoding) and as it should be written (percent-encoded). */
const TYPED = 'Tr0ub4/d@r:x%y';
const ENCODED = encodeURIComponent(TYPED); // Tr0ub4%2Fd%40r%3Ax%25y

/** Every piece of five characters of the password, in both forms: a part of it printed is a leak too. */
const PIECES = [TYPED, ENCODED].flatMap((form) => Array.from({ length: form.length - 4 }, (_, i) => form.slice(i, i + 5)));

function expectNoSecret(result: CliResult): void {
  for (const piece of PIECES) {
    expect(result.stdout, `stdout holds ${piece}`).not.toContain(piece);
    expect(result.stderr, `stderr holds ${piece}`).not.toContain(piece);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-cli-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  readonly code: number;
  /** What the message must still say. */
  readonly says: RegExp;
}

interface ErrorPath extends Outcome {
  readonly args: (password: string, port: number) => string[];
  readonly env?: (password: string) => Record<string, string>;
  /** The outcome with the password as typed, where it differs. */
  readonly typed?: Outcome;
}

/** A '%' that is not percent-encoding stops every client: refused before one sees the URL. */
const TYPED_PERCENT: Outcome = { code: 2, says: /--url \((postgres|mysql|mongodb):\/\/…, the rest not shown\) holds a '%' that is not percent-encoding/ };

const ERROR_PATHS: Record<string, ErrorPath> = {
  "a scheme type 'sql' refuses (SQLAlchemy's)": {
    args: (pw) => ['--type', 'sql', '--url', `postgresql+psycopg2://app:${pw}@db.internal/app`],
    code: 2,
    says: /--url: type 'sql' takes postgres:\/\/.* not postgresql\+psycopg2:\/\/ \(SQLAlchemy's dialect\+driver form/,
  },
  'an unknown scheme': {
    args: (pw) => ['--type', 'sql', '--url', `oracle://app:${pw}@db.internal/app`],
    code: 2,
    says: /not oracle:\/\//,
  },
  'no scheme at all': {
    args: (pw) => ['--type', 'sql', '--url', `app:${pw}@db.internal/app`],
    code: 2,
    says: /--url must be a URL such as postgres:\/\/user:password@host\/database; the value given is not/,
  },
  'no scheme, for MongoDB': {
    args: (pw) => ['--type', 'mongodb', '--url', `app:${pw}@db.internal/app`],
    code: 2,
    says: /--url must be a URL/,
  },
  'the URL after --batch-size': {
    args: (pw) => ['--type', 'sql', '--batch-size', `postgres://app:${pw}@db.internal/app`],
    code: 2,
    says: /--batch-size must be a positive whole number; the value given is not/,
  },
  'the URL after --max-batches, as --max-batches=…': {
    args: (pw) => ['--type', 'sql', `--max-batches=postgres://app:${pw}@db.internal/app`],
    code: 2,
    says: /--max-batches must be a positive whole number/,
  },
  'the URL on its own (--url forgotten)': {
    args: (pw) => ['--type', 'sql', `postgres://app:${pw}@db.internal/app`],
    code: 2,
    says: /takes options only, and an argument is not one/,
  },
  'the URL as an option name': {
    args: (pw) => ['--type', 'sql', `--postgres://app:${pw}@db.internal/app`],
    code: 2,
    says: /an option is unknown/,
  },
  'the URL after --path': {
    args: (pw) => ['--type', 'sqlite', '--path', `postgres://app:${pw}@db.internal/app`],
    code: 2,
    says: /does not exist \(SESSION_SQLITE_PATH or --path\)/,
  },
  'the secret as SESSION_USE_SIGNER': {
    args: () => [],
    env: (pw) => ({ SESSION_TYPE: 'filesystem', SESSION_USE_SIGNER: pw, SESSION_FILE_DIR: dir }),
    code: 2,
    says: /SESSION_USE_SIGNER must be true or false; the value given is not/,
  },
  'the secret as SESSION_TYPE': {
    args: () => [],
    env: (pw) => ({ SESSION_TYPE: pw }),
    code: 2,
    says: /SESSION_TYPE must be one of/,
  },
  'the secret as SESSION_MEMCACHED, in an --env-from file': {
    args: (pw) => {
      const file = join(dir, `memcached-${encodeURIComponent(pw)}.env`);
      writeFileSync(file, `SESSION_TYPE=memcached\nSESSION_MEMCACHED='${pw}'\nSECRET_KEY=${pw}\n`);
      return ['--env-from', file, '--json'];
    },
    code: 2,
    says: /SESSION_MEMCACHED must be a MemcacheClient or "host:port"/,
  },
  "PostgreSQL's driver, nothing listening (--json)": {
    args: (pw, port) => ['--type', 'sql', '--url', `postgres://app:${pw}@${LOOPBACK}:${port}/app`, '--json'],
    code: 1,
    says: /sessionkit cleanup: failed: /,
    typed: TYPED_PERCENT,
  },
  "MariaDB's driver, nothing listening": {
    args: (pw, port) => ['--type', 'sql', '--url', `mysql://app:${pw}@${LOOPBACK}:${port}/app`],
    code: 1,
    says: /sessionkit cleanup: failed: /,
    typed: TYPED_PERCENT,
  },
  "MongoDB's driver, nothing listening": {
    args: (pw, port) => ['--type', 'mongodb', '--url', `mongodb://app:${pw}@${LOOPBACK}:${port}/app`],
    code: 1,
    says: /sessionkit cleanup: failed: /,
    typed: TYPED_PERCENT,
  },
};

describe('sessionkit cleanup never prints a password', () => {
  for (const [path, errorPath] of Object.entries(ERROR_PATHS)) {
    it.each([
      ['as typed', TYPED],
      ['percent-encoded', ENCODED],
    ])(`${path}: the password %s`, async (_form, password) => {
      const { args, env } = errorPath;
      const { code, says } = (password === TYPED ? errorPath.typed : undefined) ?? errorPath;
      const result = await runCli(['cleanup', ...args(password, await getFreePort())], env?.(password) ?? {});
      expectNoSecret(result);
      expect(result.stderr).toMatch(says);
      expect(result.code, result.stderr).toBe(code);
    }, 30_000);
  }
});

describeWithServer('sessionkit cleanup on PostgreSQL, its URL holding a password', { requires: POSTGRES_REQUIRES, start: () => startPostgres() }, (server) => {
  // The harness's cluster trusts every local connection: any password gets in, so the run succeeds.
  it('prints the summary and the --json summary without it', async () => {
    const url = server().connectionString.replace('postgres@', `postgres:${ENCODED}@`);
    for (const extra of [[], ['--json'], ['--dry-run', '--json']]) {
      const result = await runCli(['cleanup', '--type', 'sql', '--url', url, '--table', 'secret_sessions', ...extra]);
      expect(result.code, result.stderr).toBe(0);
      expectNoSecret(result);
      expect(result.stdout).toMatch(/sql:postgres/);
    }
  }, 60_000);
});
