/**
 * What `sessionkit cleanup` prints: a progress line, rewritten in place with \r, only when
 * stderr is a terminal (a cron job's log gets no control characters); a one-line summary
 * on stdout at the end (or JSON with --json); errors on stderr.
 */
import type { CleanupProgress, CleanupSummary } from '../maintenance/cleanup.js';

/** Where text goes: process.stdout and process.stderr, or a stream a test reads. */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface Output {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
}

/** `output` with every line passed through `redact` on its way out (./redact.ts). */
export function redactedOutput(output: Output, redact: (text: string) => string): Output {
  const through = (sink: TextSink): TextSink => ({ write: (text) => sink.write(redact(text)), isTTY: sink.isTTY });
  return { stdout: through(output.stdout), stderr: through(output.stderr) };
}

const PREFIX = 'sessionkit cleanup';

export function sessions(count: number): string {
  return `${count} expired session${count === 1 ? '' : 's'}`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function batches(count: number): string {
  return `${count} batch${count === 1 ? '' : 'es'}`;
}

/** The progress line's writer, or undefined when stderr is not a terminal. */
export function progressLine(output: Output, storeName: string): ((progress: CleanupProgress) => void) & { clear(): void } | undefined {
  if (!output.stderr.isTTY) return undefined;
  let shown = false;
  const show = (progress: CleanupProgress) => {
    shown = true;
    output.stderr.write(`\r\x1b[K${PREFIX}: ${storeName}: removed ${sessions(progress.removed)} in ${batches(progress.batches)} (${duration(progress.ms)})`);
  };
  return Object.assign(show, {
    clear: () => {
      if (shown) output.stderr.write('\r\x1b[K');
    },
  });
}

/** The summary line. */
export function summaryLine(summary: CleanupSummary): string {
  const leftovers = Object.entries(summary.leftovers).map(([what, count]) => `${count} ${what}`);
  if (summary.dryRun) {
    if (summary.expired === undefined) return `${PREFIX} (dry run): ${summary.note ?? `${summary.store} cannot count expired sessions.`}`;
    const also = leftovers.length > 0 ? ` and ${leftovers.join(', ')}` : '';
    return `${PREFIX} (dry run): ${summary.store} holds ${sessions(summary.expired)}${also} to remove; nothing was removed (${duration(summary.ms)}).`;
  }
  const also = leftovers.length > 0 ? `, and ${leftovers.join(', ')}` : '';
  const stopped =
    summary.stopped === 'signal' ? ' Interrupted: expired sessions may be left.' : summary.stopped === 'maxBatches' ? ' Stopped at --max-batches: expired sessions may be left.' : '';
  return `${PREFIX}: removed ${sessions(summary.removed)}${also} from ${summary.store} in ${batches(summary.batches)} (${duration(summary.ms)}).${stopped}`;
}

/** A failure: what went wrong, and how far the run had got. */
export function failureLine(message: string, progress: CleanupProgress | undefined): string {
  const sofar = progress && progress.batches > 0 ? ` (after removing ${sessions(progress.removed)} in ${batches(progress.batches)})` : '';
  return `${PREFIX}: failed${sofar}: ${message}`;
}

export { PREFIX };
