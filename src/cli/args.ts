/**
 * The command line of `sessionkit cleanup`: its flags (node:util parseArgs), its help text,
 * and the usage error every mistake on the command line becomes (exit code 2). The store
 * flags, `--env-from` and the parsing are shared with `sessionkit sessions` (./sessions-args.ts).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { mustBe } from '../core/errors.js';

/** The store flags' help, shared by every command. */
export const STORE_HELP = `Store:
  --type <name>        SESSION_TYPE: filesystem, sqlite, sql, redis, memcached, dynamodb, firestore,
                       datastore, mongodb (memcached: SESSION_MEMCACHED=host:port)
  --url <url>          the database of type sql (postgres://..., mysql://...), mongodb (mongodb://...)
                       or redis (redis://...; without it, the store's default 127.0.0.1:6379)
  --dir <path>         SESSION_FILE_DIR (filesystem)
  --path <file>        SESSION_SQLITE_PATH (sqlite)
  --table <name>       SESSION_SQLITE_TABLE, SESSION_SQLALCHEMY_TABLE or SESSION_DYNAMODB_TABLE
  --schema <name>      SESSION_SQLALCHEMY_SCHEMA (sql)
  --collection <name>  SESSION_FIRESTORE_COLLECT or SESSION_MONGODB_COLLECT
  --db <name>          SESSION_MONGODB_DB (mongodb)
  --endpoint <url>     SESSION_DYNAMODB_ENDPOINT (dynamodb)
  --region <name>      SESSION_DYNAMODB_REGION (dynamodb)
  --project <id>       the Google Cloud project (firestore; datastore: GCLOUD_APP_PROJECT_ID)
  --kind <name>        the Datastore kind (datastore; default 'session')
  --namespace <name>   the Datastore namespace (datastore)
  --env-from <file>    read settings from this file too, KEY=value lines (variables already set win)

`;

export const HELP = `Usage: sessionkit cleanup [options]

Removes expired sessions from the store that the application's SESSION_* settings describe
(the keys fromEnv reads: SESSION_TYPE, SESSION_FILE_DIR, SESSION_SQLITE_PATH, ...), in batches.
Flags override the environment. Redis and memcached expire sessions themselves: for them
there is nothing to do.

${STORE_HELP}Run:
  --batch-size <n>     expired sessions removed per batch (default 1000)
  --max-batches <n>    stop after n batches
  --dry-run            count the expired sessions; remove nothing
  --json               print the summary as one line of JSON
  --quiet              no progress line and no summary (errors are still printed)
  --help               this text

Exit codes: 0 done (or nothing to do), 1 the store failed, 2 bad flags or settings,
130 interrupted (SIGINT/SIGTERM; the batch under way is finished first).
`;

/** A mistake on the command line or in the settings: exit code 2, with the help text for a bad flag. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly showHelp = false,
  ) {
    super(message);
  }
}

/** The store flags, each the value of one setting (see ./settings.ts). */
export const STORE_FLAGS = [
  'type', 'url', 'dir', 'path', 'table', 'schema', 'collection', 'db', 'endpoint', 'region', 'project', 'kind', 'namespace',
] as const;
export type StoreFlag = (typeof STORE_FLAGS)[number];

/*
 * Not `--env-file`: Node 20 takes that flag for itself wherever it appears on the command
 * line, after the script's name too, and exits 9 when the file is missing.
 */
/** What every command reads to find its store: the store flags and `--env-from`. */
export interface StoreArgs {
  readonly store: Partial<Record<StoreFlag, string>>;
  readonly envFile: string | undefined;
}

export interface CleanupArgs extends StoreArgs {
  readonly batchSize: number | undefined;
  readonly maxBatches: number | undefined;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly help: boolean;
}

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

export const text = { type: 'string' } as const;
export const flag = { type: 'boolean' } as const;

/** The options every command takes: the store flags, `--env-from`, `--json`, `--quiet`, `--help`. */
export const COMMON_OPTIONS = {
  ...(Object.fromEntries(STORE_FLAGS.map((name) => [name, text])) as Record<StoreFlag, typeof text>),
  'env-from': text,
  json: flag,
  quiet: flag,
  help: { ...flag, short: 'h' },
} as const;

type ParsedValues = Record<string, string | boolean | undefined>;

/** parseArgs in strict mode, its errors as usage errors that quote no value (`command` names the command in them). */
export function parseOptions(argv: readonly string[], options: ParseArgsOptionsConfig, command: string, positionals = false): { values: ParsedValues; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: positionals, options });
    return { values: parsed.values as ParsedValues, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(parseErrorMessage(error, command), true);
  }
}

/** The store flags and `--env-from` out of parsed values. */
export function storeArgs(values: ParsedValues): StoreArgs {
  const store: Partial<Record<StoreFlag, string>> = {};
  for (const name of STORE_FLAGS) {
    const value = values[name];
    if (typeof value === 'string') store[name] = value;
  }
  return { store, envFile: values['env-from'] as string | undefined };
}

export function parseCleanupArgs(argv: readonly string[]): CleanupArgs {
  const { values } = parseOptions(argv, { ...COMMON_OPTIONS, 'batch-size': text, 'max-batches': text, 'dry-run': flag }, 'cleanup');
  return {
    ...storeArgs(values),
    batchSize: count('--batch-size', values['batch-size'] as string | undefined),
    maxBatches: count('--max-batches', values['max-batches'] as string | undefined),
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    quiet: values.quiet === true,
    help: values.help === true,
  };
}

/**
 * parseArgs's message, without the text of the command line it quotes: an argument that
 * is not an option (`sessionkit cleanup postgres://app:pw@db/app`, the --url forgotten) or
 * an option name that is not a plain word may be a credential. Its messages about our own
 * options quote only their names.
 */
function parseErrorMessage(error: unknown, command: string): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return `${command} takes options only, and an argument is not one (it is not shown, in case it holds a password): give every value after its option, such as --url <url>.`;
  }
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = /^Unknown option '(--?[a-z][a-z0-9-]{0,40})'/i.exec(String(message))?.[1];
    return name === undefined ? 'an option is unknown (it is not shown, in case it holds a password).' : `Unknown option '${name}'.`;
  }
  return String(message);
}

export function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < 1 || !Number.isSafeInteger(number)) {
    throw new UsageError(mustBe(name, 'a positive whole number'));
  }
  return number;
}
