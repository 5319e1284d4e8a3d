/**
 * What every `sessionkit` command shares: its exit codes, its context (environment, output,
 * signal), how a mistake in the flags or settings is told from a store that failed, and
 * the opening and closing of the store the settings name.
 */
import { SessionConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { wrapStoreError, type Store } from '../core/store.js';
import { createStoreByType } from '../config/store-registry.js';
import { UsageError } from './args.js';
import { closeClient, withClient } from './clients.js';
import type { Output } from './output.js';
import type { StoreTarget } from './settings.js';

/** 0 done, 1 the store failed, 2 bad flags or settings, 3 nothing matched (`sessions revoke --handle`), 130 interrupted. */
export const EXIT = { ok: 0, storeFailed: 1, usage: 2, notFound: 3, interrupted: 130 } as const;

export interface CommandContext extends Output {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted by SIGINT/SIGTERM: the work under way finishes its step, then the command reports and exits 130. */
  readonly signal?: AbortSignal;
}

/** A store a command opened, with the client it made for it. */
export interface OpenStore {
  readonly store: Store;
  close(): Promise<void>;
}

/** Opens the store `target` names; a failure to open a store the settings name well is the store's, not the settings'. */
export async function openStore(target: StoreTarget, logger: Logger): Promise<OpenStore> {
  const options = await withClient(target);
  let store: Store;
  try {
    store = await createStoreByType(target.type, options, logger);
  } catch (error) {
    await closeClient(options.client);
    // Not a mistake in the settings: the store itself could not be opened (a file that is not a database).
    throw isSettingsError(error) ? error : wrapStoreError(target.type, 'opening the store', 'Check the settings that name it.', error);
  }
  return {
    store,
    close: async () => {
      await store.close?.().catch(() => {});
      await closeClient(options.client);
    },
  };
}

/** A mistake in the flags or settings, or a client library that is not installed (loadOptional's npm install line). */
export function isSettingsError(error: unknown): error is Error {
  if (error instanceof UsageError || error instanceof SessionConfigError) return true;
  return error instanceof Error && (error.cause as { code?: unknown } | undefined)?.code === 'MODULE_NOT_FOUND';
}

/** How a command words its failures: its name before each message, its help, a store failure's line. */
export interface CommandWords {
  readonly prefix: string;
  readonly help: string;
  readonly failure: (message: string) => string;
}

/**
 * The exit code and message of a failure outside the command's own work: 2 with the message
 * (and the help for a bad flag) for a mistake in the flags or settings, else 1 with the failure's line.
 */
export function failedBefore(context: Output, error: unknown, { prefix, help, failure }: CommandWords): number {
  if (!isSettingsError(error)) {
    context.stderr.write(`${failure(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT.storeFailed;
  }
  context.stderr.write(`${prefix}: ${error.message.replace(/^sessionkit: /, '')}\n`);
  if (error instanceof UsageError && error.showHelp) context.stderr.write(`\n${help}`);
  return EXIT.usage;
}

/** The stores' warnings go to stderr, so that stdout holds the result alone. */
export function stderrLogger(context: Output, quiet: boolean): Logger {
  return {
    warn: (message) => context.stderr.write(`[sessionkit] ${message}\n`),
    info: (message) => {
      if (!quiet) context.stderr.write(`[sessionkit] ${message}\n`);
    },
  };
}
