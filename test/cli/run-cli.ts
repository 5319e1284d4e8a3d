/**
 * Runs the real `sessionkit` bin from the sources as a child process (../helpers/run-source.ts:
 * tsx, the store registry's imports sent into src/, only the environment the test gives).
 */
import { spawnSource } from '../helpers/run-source.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = performance.now();
  const child = spawnSource('src/cli/main.ts', args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** `runCli` of `cleanup … --json`: the summary parsed (stdout must be exactly one JSON line). */
export async function cleanupJson(args: readonly string[], env: Record<string, string> = {}) {
  const result = await runCli(['cleanup', ...args, '--json'], env);
  if (result.code !== 0) throw new Error(`sessionkit cleanup exited with ${String(result.code)}: ${result.stderr}`);
  return JSON.parse(result.stdout) as { store: string; removed: number; batches: number; expired?: number; leftovers: Record<string, number>; dryRun: boolean };
}
