/**
 * `sessionkit sessions list | revoke | count`: a user's sessions through the engine's own
 * `listSessions` / `revokeSessions` / `revokeSession` (the user index the application keeps
 * with `userField`), and the live sessions of the whole store through `Store.keys`. Built
 * from the same SESSION_* settings and store flags as `cleanup`; prints handles, never ids.
 * Never throws: every outcome is an exit code and a line.
 */
import type { Store } from '../core/store.js';
import type { SessionOptions } from '../engine/options.js';
import { SessionEngine } from '../engine/engine.js';
import { fromEnv } from '../config/flask-config.js';
import { EXIT, failedBefore, openStore, stderrLogger, type CommandContext, type OpenStore } from './command.js';
import { countLine, revokedLine, sessionLines, SESSIONS_PREFIX, type Counted } from './sessions-output.js';
import { parseSessionsArgs, SESSIONS_HELP, type SessionsArgs } from './sessions-args.js';
import { redactedOutput, type Output } from './output.js';
import { Redactor } from './redact.js';
import { environment, storeTarget } from './settings.js';
import { UsageError } from './args.js';

/** How many keys are counted between two updates of the progress line. */
const PROGRESS_EVERY = 1000;

export async function sessionsCommand(argv: readonly string[], context: CommandContext): Promise<number> {
  const redactor = new Redactor().addArguments(argv).addEnvironment(context.env);
  const output = redactedOutput(context, (text) => redactor.redact(text));
  let args: SessionsArgs;
  let opened: OpenStore;
  let options: SessionOptions;
  try {
    args = parseSessionsArgs(argv);
    if (args.help) {
      output.stdout.write(SESSIONS_HELP);
      return EXIT.ok;
    }
    const env = environment(args, context.env);
    redactor.addEnvironment(env); // the --env-from file's too
    const target = storeTarget(args, env, 'no other process can see its sessions');
    options = engineOptions(target.settings, args);
    opened = await openStore(target, stderrLogger(output, args.quiet));
  } catch (error) {
    return failedBefore(output, error, WORDS);
  }
  try {
    const engine = new SessionEngine({ ...options, store: opened.store, logger: stderrLogger(output, args.quiet) });
    await engine.ready;
    return await run(engine, args, { store: opened.store, output, signal: context.signal });
  } catch (error) {
    return failedBefore(output, error, WORDS);
  } finally {
    await opened.close();
  }
}

const WORDS = { prefix: SESSIONS_PREFIX, help: SESSIONS_HELP, failure: (message: string) => `${SESSIONS_PREFIX}: failed: ${message}` };

/** The application's options as fromEnv reads them, without its store: the command opened that one. */
function engineOptions(settings: Readonly<Record<string, string | undefined>>, args: SessionsArgs): SessionOptions {
  const { type: _type, storeOptions: _storeOptions, ...options } = fromEnv(settings);
  if (args.user !== undefined && options.userField === undefined) {
    throw new UsageError(
      `sessions ${args.action} --user reads the user index, which the application keeps only with its userField option: set SESSION_USER_FIELD as the application has it (such as SESSION_USER_FIELD=userId).`,
    );
  }
  return options;
}

interface Run {
  readonly store: Store;
  readonly output: Output;
  readonly signal: AbortSignal | undefined;
}

async function run(engine: SessionEngine, args: SessionsArgs, { store, output, signal }: Run): Promise<number> {
  const storeName = store.name;
  const say = (line: string) => {
    if (!args.quiet) output.stdout.write(`${line}\n`);
  };
  const { user } = args;
  if (args.action === 'list') {
    const sessions = await engine.listSessions(user!);
    say(args.json ? JSON.stringify({ store: storeName, user, sessions }) : sessionLines(storeName, user!, sessions));
    return EXIT.ok;
  }
  if (args.action === 'revoke') {
    const revoked = args.handle === undefined ? await engine.revokeSessions(user!) : Number(await engine.revokeSession(user!, args.handle));
    say(args.json ? JSON.stringify({ store: storeName, user, revoked }) : revokedLine(user!, revoked, args.handle));
    return args.handle !== undefined && revoked === 0 ? EXIT.notFound : EXIT.ok;
  }
  const counted = user === undefined ? await countStore(store, engine.options.keyPrefix, { store, output, signal }) : { sessions: (await engine.listSessions(user)).length, interrupted: false };
  say(args.json ? JSON.stringify({ store: storeName, ...(user === undefined ? {} : { user }), ...counted }) : countLine(storeName, user, counted));
  return counted.interrupted ? EXIT.interrupted : EXIT.ok;
}

/**
 * The live sessions of the whole store: its keys under the engine's prefix whose name is a
 * session's (a base64url id or its hash), not a record kept beside them (`user.…` index,
 * `lock.…`, `migrated.…`, `revoked.…`, `ended.…`: their names hold a dot).
 */
async function countStore(store: Store, keyPrefix: string, { output, signal }: Run): Promise<Counted> {
  if (store.keys === undefined) {
    throw new UsageError(`the ${store.name} store cannot list its keys, so its sessions cannot be counted; sessions count --user <id> counts one user's.`);
  }
  const progress = output.stderr.isTTY ? output.stderr : undefined;
  let sessions = 0;
  for await (const key of store.keys(keyPrefix)) {
    if (signal?.aborted) {
      progress?.write('\r\x1b[K');
      return { sessions, interrupted: true };
    }
    if (!/^[A-Za-z0-9_-]+$/.test(key.slice(keyPrefix.length))) continue;
    sessions += 1;
    if (sessions % PROGRESS_EVERY === 0) progress?.write(`\r\x1b[K${SESSIONS_PREFIX}: ${store.name}: counted ${sessions} sessions so far`);
  }
  if (sessions >= PROGRESS_EVERY) progress?.write('\r\x1b[K');
  return { sessions, interrupted: false };
}
