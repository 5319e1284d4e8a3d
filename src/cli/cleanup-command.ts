/**
 * `sessionkit cleanup`: the flags and the environment → a store → `cleanupSessions` → a
 * summary and an exit code (0 done, 1 the store failed, 2 bad flags or settings, 130
 * interrupted). Never throws: every outcome is an exit code and a line.
 */
import { SessionConfigError } from '../core/errors.js';
import { cleanupSessions, type CleanupProgress } from '../maintenance/cleanup.js';
import { HELP, parseCleanupArgs, type CleanupArgs } from './args.js';
import { EXIT, failedBefore, openStore, stderrLogger, type CommandContext, type OpenStore } from './command.js';
import { failureLine, PREFIX, progressLine, redactedOutput, summaryLine, type Output } from './output.js';
import { Redactor } from './redact.js';
import { environment, EXPIRE_THEMSELVES, storeTarget } from './settings.js';

export { EXIT, type CommandContext };

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
  let opened: OpenStore;
  try {
    const env = environment(args, context.env);
    redactor.addEnvironment(env); // the --env-from file's too
    const target = storeTarget(args, env, 'there is nothing to clean up');
    const native = EXPIRE_THEMSELVES[target.type];
    if (native !== undefined) {
      say(args.json ? JSON.stringify({ store: target.type, removed: 0, note: `${native}: nothing to clean up.` }) : `${PREFIX}: ${native}: nothing to clean up.`);
      return EXIT.ok;
    }
    opened = await openStore(target, stderrLogger(output, args.quiet));
  } catch (error) {
    return usage(output, error);
  }
  const { store } = opened;

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
    await opened.close();
  }
}

function usage(context: Output, error: unknown): number {
  return failedBefore(context, error, { prefix: PREFIX, help: HELP, failure: (message) => failureLine(message, undefined) });
}
