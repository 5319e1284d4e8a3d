/**
 * The base of every throwaway server: one child process on a free loopback port, with its own
 * temp dir. Subclasses say how to spawn it and how to tell it is ready; this class does the rest:
 *
 *   start()  — temp dir, `prepare()` (e.g. initdb), spawn on a free port (another port when the
 *              one picked was taken meanwhile), wait until ready, `afterFirstStart()`.
 *   pause()  — stop the process (clean stop signal) but keep the port and data dir: an outage.
 *   resume() — start it again with the same command line, on the SAME port. (In-memory servers —
 *              redis here, memcached, dynalite — come back empty.)
 *   freeze() / thaw() — SIGSTOP / SIGCONT: the port stays open but nothing answers (timeouts);
 *              both resolve once /proc shows the new state.
 *   stop()   — stop the process and remove the temp dir. Idempotent.
 */
import { readFile } from 'node:fs/promises';
import { LOOPBACK, PortInUseError, onFreePort } from './ports.js';
import {
  makeTempDir,
  pollUntil,
  removeTempDir,
  spawnServer,
  waitUntilReady,
  type RunAs,
  type ServerProcess,
  type SpawnSpec,
} from './process.js';

export interface ManagedServerOptions {
  /** Milliseconds to wait for readiness. Default 20 000. */
  readyTimeoutMs?: number;
  /** Milliseconds between the clean stop signal and SIGKILL. Default 10 000. */
  stopTimeoutMs?: number;
}

export abstract class ManagedServer {
  readonly host = LOOPBACK;
  /** 0 until started. */
  port = 0;
  /** This server's temp dir ('' until started). Removed by stop(). */
  dir = '';
  /** Milliseconds start() took (temp dir, prepare, spawn, ready, afterFirstStart). */
  startupMs = 0;

  private proc: ServerProcess | undefined;
  private spec: SpawnSpec | undefined;
  private stopped = false;

  protected constructor(
    /** Used in messages and temp dir names. */
    readonly name: string,
    protected readonly options: ManagedServerOptions = {},
    /** Run the server (and own its temp dir) as this OS user. */
    protected readonly runAs?: RunAs,
  ) {}

  /** The command line for this port (called again, with a new port, if the port was taken). */
  protected abstract spawnSpec(port: number): SpawnSpec | Promise<SpawnSpec>;

  /** Resolves true once the server answers. Errors count as "not yet". */
  protected abstract isReady(): Promise<boolean>;

  /** Once, after the temp dir exists and before the first spawn (e.g. initdb). */
  protected async prepare(): Promise<void> {}

  /** Once, after the server is first ready (e.g. CREATE DATABASE). */
  protected async afterFirstStart(): Promise<void> {}

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  /** PID of the current server process (the server itself; setpriv execs it). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The last output lines of the current/last process (for debugging a failing test). */
  output(lines = 30): string {
    return this.proc?.describe(lines) ?? `${this.name} was never started`;
  }

  async start(): Promise<this> {
    const began = performance.now();
    this.dir = await makeTempDir(this.name, this.runAs);
    try {
      await this.prepare();
      await onFreePort(async (port) => {
        this.port = port;
        await this.launch(await this.spawnSpec(port));
      });
      await this.afterFirstStart();
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.startupMs = Math.round(performance.now() - began);
    return this;
  }

  /** Simulated outage: stop the process, keep port and data. */
  async pause(): Promise<void> {
    await this.proc?.stop(this.options.stopTimeoutMs);
  }

  /** Start again on the same port after pause() (or after the process died). */
  async resume(): Promise<void> {
    if (this.stopped || !this.spec) throw new Error(`${this.name}: resume() after stop() or before start()`);
    if (this.running) return;
    // The port is normally free at once; give a racing process a moment to let go of it.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.launch(this.spec);
        return;
      } catch (error) {
        if (!(error instanceof PortInUseError) || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /**
   * SIGSTOP: connections are accepted by the kernel but never answered. The signal takes
   * effect a moment after kill() returns, so this resolves once /proc shows the process
   * stopped; a test that raced ahead would otherwise still get answers.
   */
  async freeze(): Promise<void> {
    const pid = this.pid;
    if (!this.proc || pid === undefined) throw new Error(`${this.name} is not running; nothing to freeze`);
    this.proc.child.kill('SIGSTOP');
    await pollUntil(`${this.name} (pid ${pid}) to stop after SIGSTOP`, async () => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      return /\) [Tt] /.test(stat);
    }, { timeoutMs: 2_000, intervalMs: 5 });
  }

  /** SIGCONT after freeze(); resolves once /proc shows the process running again. */
  async thaw(): Promise<void> {
    const pid = this.pid;
    if (!this.proc || pid === undefined) return;
    this.proc.child.kill('SIGCONT');
    await pollUntil(`${this.name} (pid ${pid}) to run again after SIGCONT`, async () => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      return !/\) [Tt] /.test(stat);
    }, { timeoutMs: 2_000, intervalMs: 5 });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.proc?.stop(this.options.stopTimeoutMs);
    if (this.dir) await removeTempDir(this.dir);
  }

  private async launch(spec: SpawnSpec): Promise<void> {
    const proc = spawnServer(`${this.name} on port ${this.port}`, { user: this.runAs, ...spec });
    this.proc = proc;
    await waitUntilReady(proc, () => this.isReady(), {
      port: this.port,
      timeoutMs: this.options.readyTimeoutMs,
    });
    this.spec = spec;
  }
}

/** Stops all (in parallel); rethrows the first failure after every stop has finished. */
export async function stopAll(servers: readonly { stop(): Promise<void> }[]): Promise<void> {
  const results = await Promise.allSettled(servers.map((server) => server.stop()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Starts all in parallel; if any fails, stops the ones that started and rethrows. */
export async function startAll<T extends { stop(): Promise<void> }>(starts: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return started;
  await stopAll(started).catch(() => undefined);
  throw failed.reason;
}
