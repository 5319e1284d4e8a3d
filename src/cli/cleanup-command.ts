/**
 * `sessionkit cleanup`: the flags and the environment → a store → `cleanupSessions` → a
 * summary and an exit code (0 done, 1 the store failed, 2 bad flags or settings, 130
 * interrupted). Never throws: every outcome is an exit code and a line.
 */
import { SessionConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { wrapStoreError, type Store } from '../core/store.js';
import { createStoreByType, type StoreType } from '../config/store-registry.js';
import { cleanupSessions, type CleanupProgress } from '../maintenance/cleanup.js';
import { HELP, parseCleanupArgs, UsageError, type CleanupArgs } from './args.js';
import { closeClient, withClient } from './clients.js';
import { failureLine, PREFIX, progressLine, redactedOutput, summaryLine, type Output } from './output.js';
import { Redactor } from './redact.js';
import { cleanupTarget, environment, EXPIRE_THEMSELVES } from './settings.js';

export const EXIT = { ok: 0, storeFailed: 1, usage: 2, interrupted: 130 } as const;

export interface CommandContext extends Output {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted by SIGINT/SIGTERM: the batch under way finishes, then the summary is printed. */
  readonly signal?: AbortSignal;
}

export async function cleanupCommand(argv: readonly string[], context: CommandContext): Promise<number> {
  // Everything printed goes through the redactor: no credential given reaches a log (./redact.ts).
  const redactor = new Redactor().addArguments(argv).addEnvironment(context.env);
  const output = redactedOutput(context, (text) => redactor.redact(text));
  let args: CleanupArgs;
  try {
    args = parseCleanupArgs(argv);
  } catch (error) {
    return usage(output, error);
  }
  if (args.help) {
    output.stdout.write(HELP);
    return EXIT.ok;
  }
  const say = (line: string) => {
    if (!args.quiet) output.stdout.write(`${line}\n`);
  };
  let options: Record<string, unknown>;
  let store: Store;
  let type: StoreType | undefined;
  try {
    const env = environment(args, context.env);
    redactor.addEnvironment(env); // the --env-from file's too
    const target = cleanupTarget(args, env);
    type = target.type;
    const native = EXPIRE_THEMSELVES[type];
    if (native !== undefined) {
      say(args.json ? JSON.stringify({ store: type, removed: 0, note: `${native}: nothing to clean up.` }) : `${PREFIX}: ${native}: nothing to clean up.`);
      return EXIT.ok;
    }
    options = withClient(target);
    store = await createStoreByType(type, options, stderrLogger(output, args.quiet));
  } catch (error) {
    // Not a mistake in the settings: the store itself could not be opened (a file that is not a database).
    const failure = isSettingsError(error) || type === undefined ? error : wrapStoreError(type, 'opening the store', 'Check the settings that name it.', error);
    return usage(output, failure);
  }

  const progress = args.quiet ? undefined : progressLine(output, store.name);
  let last: CleanupProgress | undefined;
  try {
    const summary = await cleanupSessions(store, {
      batchSize: args.batchSize,
      maxBatches: args.maxBatches,
      dryRun: args.dryRun,
      signal: context.signal,
      onProgress: (now) => {
        last = now;
        progress?.(now);
      },
    });
    progress?.clear();
    say(args.json ? JSON.stringify(summary) : summaryLine(summary));
    return summary.stopped === 'signal' ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    progress?.clear();
    if (error instanceof SessionConfigError) return usage(output, error);
    output.stderr.write(`${failureLine(error instanceof Error ? error.message : String(error), last)}\n`);
    return EXIT.storeFailed;
  } finally {
    await store.close?.().catch(() => {});
    await closeClient(options.client);
  }
}

/** A mistake in the flags or settings, or a client library that is not installed (loadOptional's npm install line). */
function isSettingsError(error: unknown): error is Error {
  if (error instanceof UsageError || error instanceof SessionConfigError) return true;
  return error instanceof Error && (error.cause as { code?: unknown } | undefined)?.code === 'MODULE_NOT_FOUND';
}

function usage(context: Output, error: unknown): number {
  if (!isSettingsError(error)) {
    context.stderr.write(`${failureLine(error instanceof Error ? error.message : String(error), undefined)}\n`);
    return EXIT.storeFailed;
  }
  context.stderr.write(`${PREFIX}: ${error.message.replace(/^sessionkit: /, '')}\n`);
  if (error instanceof UsageError && error.showHelp) context.stderr.write(`\n${HELP}`);
  return EXIT.usage;
}

/** The stores' warnings go to stderr, so that stdout holds the summary alone. */
function stderrLogger(context: Output, quiet: boolean): Logger {
  return {
    warn: (message) => context.stderr.write(`[sessionkit] ${message}\n`),
    info: (message) => {
      if (!quiet) context.stderr.write(`[sessionkit] ${message}\n`);
    },
  };
}
