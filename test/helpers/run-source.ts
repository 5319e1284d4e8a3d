/**
 * Runs a TypeScript file of this repository as a program of its own: a child process
 * through tsx with test/cli/tsconfig.json, whose paths send the store registry's
 * `sessionkit/stores/<name>` imports into src/ (as vitest.config.ts does in process). The
 * environment is only what the test gives (plus PATH), so no SESSION_* setting of the
 * machine leaks in.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const tsconfig = fileURLToPath(new URL('../cli/tsconfig.json', import.meta.url));

export interface SourceOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory (default: the repository); `entry` is relative to the repository either way. */
  readonly cwd?: string;
}

export function spawnSource(entry: string, args: readonly string[], { env = {}, cwd = root }: SourceOptions = {}): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [tsx, '--tsconfig', tsconfig, `${root}${entry}`, ...args], {
    cwd,
    // Never a cloud metadata server, even where a Google SDK would look for one.
    env: { PATH: process.env.PATH ?? '', METADATA_SERVER_DETECTION: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
