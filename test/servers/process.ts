/**
 * Child processes for throwaway test servers: spawn, capture output, wait until ready, stop,
 * clean up. Nothing started here outlives the test process:
 *
 * - every child and temp dir is recorded, and killed / removed on `process.on('exit')` and on
 *   SIGINT / SIGTERM / SIGHUP;
 * - where `setpriv` exists (util-linux), servers are started through `setpriv --pdeathsig SIGKILL`,
 *   so the kernel kills them even when the test process itself is SIGKILLed. (The parent-death
 *   signal follows the *thread* that spawned the child: with vitest's `forks` pool that is the
 *   worker's main thread; with the `threads` pool the server dies with its worker thread.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PORT_IN_USE_OUTPUT, PortInUseError } from './ports.js';
import { findBinary } from './require-binary.js';

/** An OS user to run a server as (PostgreSQL refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

// ---------------------------------------------------------------------------------------------
// Cleanup on exit
// ---------------------------------------------------------------------------------------------

const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHooksInstalled = false;

function cleanupNow(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a dying server may still be writing into it; nothing more we can do at exit
    }
  }
  liveDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupNow();
  // If we are the only listener, restore the default behaviour (terminate) by re-raising.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

// ---------------------------------------------------------------------------------------------
// Temp dirs
// ---------------------------------------------------------------------------------------------

/** A fresh directory under the OS temp dir, removed at exit if nobody removed it before. */
export async function makeTempDir(name: string, owner?: RunAs): Promise<string> {
  installExitHooks();
  const dir = await mkdtemp(path.join(os.tmpdir(), `sessionkit-${name}-`));
  liveDirs.add(dir);
  if (owner) await chown(dir, owner.uid, owner.gid);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  liveDirs.delete(dir);
}

// ---------------------------------------------------------------------------------------------
// Output capture
// ---------------------------------------------------------------------------------------------

/** Keeps the last `maxLines` lines written by a process (stdout and stderr interleaved). */
export class OutputRing {
  private readonly ring: string[] = [];
  private partial = '';

  constructor(private readonly maxLines = 200) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.ring.push(line);
      if (this.ring.length > this.maxLines) this.ring.shift();
    }
  }

  lines(): string[] {
    return this.partial ? [...this.ring, this.partial] : [...this.ring];
  }

  /** The last `n` lines, one per line, for error messages. */
  tail(n = 30): string {
    return this.lines().slice(-n).join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Server processes
// ---------------------------------------------------------------------------------------------

export interface SpawnSpec {
  command: string;
  args: string[];
  cwd?: string;
  /** Added to (not replacing) process.env. */
  env?: Record<string, string>;
  user?: RunAs;
  /** Signal for a clean stop. Default SIGTERM (PostgreSQL: SIGINT = fast shutdown). */
  stopSignal?: NodeJS.Signals;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const setprivPath = findBinary('setpriv');

/** One running server process. Created by {@link spawnServer}. */
export class ServerProcess {
  readonly output = new OutputRing();
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly stopSignal: NodeJS.Signals,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
    this.exited = new Promise((resolve) => {
      const finish = (info: ExitInfo) => {
        liveChildren.delete(child);
        this.exitInfo = info;
        resolve(info);
      };
      child.once('error', (error) => {
        this.output.push(`[spawn error] ${error.message}\n`);
        finish({ code: -1, signal: null });
      });
      child.once('exit', (code, signal) => {
        // Output written just before exit may still be in the pipe: give it a moment, but do not
        // wait for 'close' forever (e.g. postgres backends inherit the pipe and may outlive it).
        const timer = setTimeout(() => finish({ code, signal }), 250);
        child.once('close', () => {
          clearTimeout(timer);
          finish({ code, signal });
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Clean stop with the stop signal; SIGKILL if it is still running after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<ExitInfo> {
    if (this.running) {
      this.child.kill(this.stopSignal);
      this.child.kill('SIGCONT'); // a frozen (SIGSTOPped) process must wake up to handle it
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      try {
        await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  /** `[name] exited with code 1` / `[name] is still running`, then the last output lines. */
  describe(lines = 30): string {
    const state = this.exitInfo
      ? `exited with ${this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `code ${this.exitInfo.code}`}`
      : 'is still running';
    const tail = this.output.tail(lines);
    return `${this.name} (pid ${this.pid}) ${state}. Last output:\n${tail || '(no output)'}`;
  }
}

/** Spawns a server (not detached; killed with us), capturing stdout/stderr. */
export function spawnServer(name: string, spec: SpawnSpec): ServerProcess {
  installExitHooks();
  const [command, args] = setprivPath
    ? [setprivPath, ['--pdeathsig', 'SIGKILL', '--', spec.command, ...spec.args]]
    : [spec.command, spec.args];
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
    ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
  });
  liveChildren.add(child);
  return new ServerProcess(name, child, spec.stopSignal ?? 'SIGTERM');
}

export interface PollOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
  /** Checked before every attempt: an error returned here ends the wait at once. */
  giveUp?: () => Promise<Error | undefined>;
  /** Ends a sleep between attempts early when it settles (e.g. the process exited). */
  wake?: Promise<unknown>;
}

/**
 * Polls `condition` until it resolves true (errors count as "not yet"). On timeout throws an
 * error with `what`, the timeout and the last check's problem.
 */
export async function pollUntil(
  what: string | (() => string),
  condition: () => Promise<boolean>,
  { timeoutMs = 20_000, intervalMs = 50, giveUp, wake }: PollOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'the check returned false';
  for (;;) {
    const fatal = await giveUp?.();
    if (fatal) throw fatal;
    try {
      // A check that hangs must not delay noticing `wake` (e.g. the process died meanwhile);
      // if it loses that race, its late rejection is ignored.
      const check = condition();
      check.catch(() => undefined);
      if (await Promise.race([check, ...(wake ? [wake.then(() => false)] : [])])) return;
      lastProblem = 'the check returned false';
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      const description = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description} (last check: ${lastProblem})`);
    }
    await Promise.race([sleep(intervalMs), ...(wake ? [wake] : [])]);
  }
}

export interface WaitOptions {
  /** Default 20 s. */
  timeoutMs?: number;
  /** Default 50 ms. */
  intervalMs?: number;
  /** The port the server should bind: a bind failure becomes a {@link PortInUseError}. */
  port?: number;
}

/**
 * Polls `isReady` until it resolves true. Fails early when the process exits, and after the
 * timeout (stopping the process); both errors carry the last output lines.
 */
export async function waitUntilReady(
  proc: ServerProcess,
  isReady: () => Promise<boolean>,
  { timeoutMs, intervalMs, port }: WaitOptions = {},
): Promise<void> {
  const giveUp = async (): Promise<Error | undefined> => {
    if (proc.running) return undefined;
    await proc.exited;
    const message = `${proc.name} exited before it became ready. ${proc.describe()}`;
    if (port !== undefined && PORT_IN_USE_OUTPUT.test(proc.output.tail(50))) return new PortInUseError(port, message);
    return new Error(message);
  };
  try {
    await pollUntil(`${proc.name} to become ready`, isReady, { timeoutMs, intervalMs, giveUp, wake: proc.exited });
  } catch (error) {
    if (!proc.running) throw error;
    await proc.stop(2_000);
    throw new Error(`${(error as Error).message}. ${proc.describe()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// One-shot commands (initdb, psql, redis-cli, mariadb ...)
// ---------------------------------------------------------------------------------------------

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  user?: RunAs;
  /** Default 30 s; the command is killed after it. */
  timeoutMs?: number;
  /** Resolve with the result instead of rejecting on a non-zero exit. */
  allowFailure?: boolean;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. Rejects (with its output) on a non-zero exit or timeout. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  installExitHooks();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    });
    liveChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      reject(new Error(`${command}: ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      const result = { code, stdout, stderr };
      if ((code === 0 && !timedOut) || (options.allowFailure && !timedOut)) { resolve(result); return; }
      const why = timedOut ? `timed out after ${options.timeoutMs ?? 30_000} ms` : `exited with code ${code}`;
      const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n');
      reject(new Error(`\`${[command, ...args].join(' ')}\` ${why}:\n${output}`));
    });
  });
}
