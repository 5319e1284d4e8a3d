/**
 * Runs the real `sessionkit` bin from the sources as a child process: tsx with
 * ./tsconfig.json, whose paths send the store registry's `sessionkit/stores/<name>`
 * imports into src/ (as vitest.config.ts does in process). The environment is only what
 * the test gives (plus PATH), so no SESSION_* setting of the machine leaks in.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const tsconfig = fileURLToPath(new URL('./tsconfig.json', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [tsx, '--tsconfig', tsconfig, 'src/cli/main.ts', ...args], {
    cwd: root,
    // Never a cloud metadata server, even where a Google SDK would look for one.
    env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
