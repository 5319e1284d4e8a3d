/**
 * The app of the locked-sessions suite (./locked-sessions-suite.ts) without its framework,
 * Web standards only: the same routes serve from an Express app in Node and from Hono and
 * Web-adapter apps inside workerd (test/runtimes/workerd/locked-worker.ts).
 */
import type { LockOption } from '../../src/lock/session-lock.js';

/** The lease of the `shortLease` app, which a parked request outlasts. */
export const SHORT_LEASE_MS = 1_000;

/** The apps the scenarios need, all on one store, each by its `lock` option. */
export const LOCKED_APPS = {
  locked: { wait: '20s', lease: '20s' },
  unlocked: false,
  shortWait: { wait: '300ms', lease: '20s' },
  shortLease: { wait: '20s', lease: `${SHORT_LEASE_MS}ms` },
} as const satisfies Record<string, LockOption>;
export type LockedApps = Record<keyof typeof LOCKED_APPS, string>;

type Data = Record<string, unknown>;

/**
 * The answer of one app to a request for `path` of the session whose data is `data`: the
 * text of the response, or a rejection (the app then answers 500 with its message).
 * - /increment: read, let time pass (other requests run meanwhile, unless the lock holds
 *   them), write: the lost-update pattern;
 * - /increment-together/:gate/:n: the same, but every request waits until `n` of them have
 *   read before writing: without a lock they all read the same count, on cue rather than by timing;
 * - /count; /fail (the handler throws);
 * - /park/:gate holds its request (and so the session's lock) until /release/:gate;
 *   /parked/:gate says whether it is held yet.
 */
export type LockedSessionApp = (path: string, data: Data) => Promise<string>;

/**
 * Waits until `done()`, looking every few milliseconds: a request that waited on a promise
 * only another request resolves would look hung to workerd, which cancels such a request.
 */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

export function lockedSessionApp(): LockedSessionApp {
  const readers = new Map<string, number>();
  const parked = new Map<string, boolean>(); // gate → released yet
  const counted = (data: Data) => Number(data.count ?? 0);

  return async (path, data) => {
    const [, route, gate = '', n] = path.split('/');
    switch (route) {
      case 'increment': {
        const count = counted(data);
        await new Promise((resolve) => setTimeout(resolve, 10));
        data.count = count + 1;
        return String(count + 1);
      }
      case 'increment-together': {
        const count = counted(data);
        readers.set(gate, (readers.get(gate) ?? 0) + 1);
        await until(() => readers.get(gate)! >= Number(n));
        data.count = count + 1;
        return String(count + 1);
      }
      case 'count':
        return String(counted(data));
      case 'fail':
        throw new Error('the handler failed');
      case 'park':
        parked.set(gate, false);
        await until(() => parked.get(gate)!);
        parked.delete(gate);
        return 'released';
      case 'parked':
        return parked.has(gate) ? 'yes' : 'no';
      case 'release':
        if (!parked.has(gate)) return 'not parked';
        parked.set(gate, true);
        return 'released';
      default:
        throw new Error(`no route ${path}`);
    }
  };
}
