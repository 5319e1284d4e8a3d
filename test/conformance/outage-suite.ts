/**
 * What a server store does when its server fails, written once and run by every store that
 * talks to a server (Redis through node-redis and ioredis, Memcached, PostgreSQL, MariaDB,
 * DynamoDB on dynalite), on the harness's real servers (test/servers/):
 *
 * - **down** (the process stopped, the port closed): every read and write fails with a
 *   StoreError that names the store, within the store's timeout plus a margin — over HTTP
 *   (the framework's error path answers 500 with the error's message) and called directly;
 * - **frozen** (SIGSTOP: the port open, nothing answers): the same, and the failure is the
 *   store's own timeout unless the store's client gives up earlier by design;
 * - **back** (restarted on the same port, or thawed): the same app and the same store work
 *   again by themselves, on the very next request or within `recoveryMs`.
 *
 * Nothing may hang: every awaited call is raced against a deadline and fails as "hung".
 * A store's test file calls `describeOutages` inside its `describeWithServer` block, last
 * where a restart empties an in-memory server that later tests would read.
 */
import { describe, expect, it } from 'vitest';
import { StoreError, type Store, type StoreRecord } from '../../src/core/store.js';
import { CookieJar, listen } from '../helpers/http.js';
import { valueApp } from '../helpers/value-app.js';

/** The harness's ManagedServer has these; a store test may wrap them (PostgreSQL's backends). */
export interface Outageable {
  /** Stop the server process, keeping its port and data directory. */
  pause(): Promise<void>;
  /** Start it again on the same port. */
  resume(): Promise<void>;
  /** SIGSTOP: the port stays open, nothing answers. */
  freeze(): Promise<void>;
  /** SIGCONT. */
  thaw(): Promise<void> | void;
}

export interface OutageFixture {
  /** A store on its own client, built with the timeout the suite passes. */
  store: Store;
  /** Lets go of the client (and the store). */
  close: () => Promise<void>;
}

export interface OutageOptions {
  /** The store's operation timeout the suite passes to `open`, in ms. Default 1000. */
  timeout?: number;
  /** How much later than the timeout a failure may come, in ms. Default 1000. */
  margin?: number;
  /** The server keeps its data over a restart (PostgreSQL, MariaDB); in-memory servers come back empty. */
  keepsData: boolean;
  /** What an operator does after the restart before the store can work (dynalite: create the table again). */
  afterRestart?: () => Promise<void>;
  /**
   * How long the store may take to work again after a restart or a thaw, by itself, retried
   * every 100 ms. Default 0: the very next request must work.
   */
  recoveryMs?: number;
  /** What a failure while the server is down must say besides the store's name (the remedy). */
  down?: { read?: RegExp; write?: RegExp };
  /**
   * What a failure while the server is frozen must say. Default: `read|write did not answer
   * within <timeout> ms`, and then not before the timeout. A store whose client gives up first
   * (by design: the DynamoDB SDK's request timeout) says so here, and no lower bound applies.
   * The direct read comes first, then a write, then a request (`request`: default as `read`).
   */
  frozen?: { read?: RegExp; write?: RegExp; request?: RegExp };
}

const SECRET = 'outage-suite-secret-0123456789';
const quiet = { warn: () => {}, info: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long two reads must agree before a late write of an earlier outage counts as settled. */
const SETTLE_MS = 300;
const record = (text: string): StoreRecord => ({ data: new TextEncoder().encode(text), expiresAt: Date.now() + 60_000 });
const text = (r: StoreRecord | undefined) => (r ? new TextDecoder().decode(r.data) : undefined);
let counter = 0;
const freshKey = (label: string) => `session:outage-${process.pid}-${Date.now()}-${counter++}-${label}`;

class Hung extends Error {}

/** Resolves what `promise` resolves, or fails as "hung" after `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hung(`${what} hung: no answer after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error `action` fails with and how long it took; fails the test if it succeeds or hangs. */
async function failure(what: string, limitMs: number, action: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const outcome = await within(limitMs + 5_000, what, action()).then(
    () => ({ failed: false, error: undefined }),
    (error: unknown) => ({ failed: true, error }),
  );
  if (outcome.error instanceof Hung) throw outcome.error;
  expect(outcome.failed, `${what} should have failed`).toBe(true);
  return { error: outcome.error, ms: performance.now() - started };
}

export function describeOutages(
  title: string,
  server: () => Outageable,
  open: (timeout: number) => Promise<OutageFixture>,
  options: OutageOptions,
): void {
  const timeout = options.timeout ?? 1000;
  const margin = options.margin ?? 1000;
  const recoveryMs = options.recoveryMs ?? 0;
  const bound = timeout + margin;
  /** A deadline for calls that should succeed: one timeout each, plus the margin. */
  const answer = <T>(what: string, promise: Promise<T>) => within(bound, what, promise);

  /** A store, an app on it and a client with a session holding 'kept'; everything closed after `body`. */
  async function withApp(body: (app: { url: string; jar: CookieJar; store: Store; key: string }) => Promise<void>) {
    const { store, close } = await open(timeout);
    const http = await listen(valueApp({ store, secret: SECRET, logger: quiet }));
    let failed = true;
    try {
      const jar = new CookieJar();
      expect((await answer('the first request', jar.fetch(`${http.url}/set/kept`))).status).toBe(200);
      const key = freshKey('direct');
      await answer('the first direct write', store.set(key, record('x')));
      await body({ url: http.url, jar, store, key });
      failed = false;
    } finally {
      await http.close();
      // A client that cannot let go (node-redis with commands still queued) must not hide the
      // test's own failure behind a test timeout.
      await within(bound + 5_000, 'closing the store', close()).catch((error: unknown) => {
        if (!failed) throw error;
      });
    }
  }

  /** A failed request: 500 within the bound, its body the StoreError's message, naming the store. */
  async function failedRequest(what: string, request: () => Promise<Response>, name: string, message?: RegExp) {
    const { error, ms } = await failure(what, bound, async () => {
      const response = await request();
      const body = await response.text();
      if (response.status !== 200) throw Object.assign(new Error(body), { status: response.status });
      return body;
    });
    expect((error as { status?: number }).status, `${what}: status`).toBe(500);
    const body = (error as Error).message;
    expect(body.startsWith(`[sessionkit:${name}] `), `${what}: "${body}" should start with [sessionkit:${name}]`).toBe(true);
    if (message) expect(body).toMatch(message);
    expect(ms, `${what}: answered after ${Math.round(ms)} ms`).toBeLessThan(bound);
    return { body, ms };
  }

  /** A failed direct call: a StoreError naming the store, within `limit`. */
  async function failedCall(what: string, action: () => Promise<unknown>, name: string, message: RegExp | undefined, limit = bound) {
    const { error, ms } = await failure(what, limit, action);
    expect(error, `${what}: ${String(error)}`).toBeInstanceOf(StoreError);
    expect((error as StoreError).storeName).toBe(name);
    expect((error as Error).message.startsWith(`[sessionkit:${name}] `)).toBe(true);
    if (message) expect((error as Error).message).toMatch(message);
    expect(ms, `${what}: failed after ${Math.round(ms)} ms`).toBeLessThan(limit);
    return { error, ms };
  }

  /** Runs `check` until it passes, for at most recoveryMs (once when 0); resolves the time it took. */
  async function recovers(what: string, check: () => Promise<void>): Promise<number> {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await check();
        const ms = performance.now() - started;
        if (process.env.SESSIONKIT_REPORT_TIMINGS) {
          console.info(`${title}: ${what}: working again after ${Math.round(ms)} ms (attempt ${attempt})`);
        }
        return ms;
      } catch (error) {
        if (performance.now() - started >= recoveryMs) {
          throw new Error(`${title}: ${what}: still failing after ${attempt} attempt(s) in ${Math.round(performance.now() - started)} ms (allowed: ${recoveryMs} ms): ${String(error)}`, { cause: error });
        }
      }
      await sleep(100);
    }
  }

  const body = async (response: Promise<Response>) => {
    const answered = await response;
    return `${answered.status} ${await answered.text()}`;
  };

  /** A value read until two reads SETTLE_MS apart agree: a late write of an earlier outage has landed or never will. */
  const settled = async (read: () => Promise<string | undefined>): Promise<string | undefined> => {
    let previous = await read();
    for (;;) {
      await sleep(SETTLE_MS);
      const current = await read();
      if (current === previous) return current;
      previous = current;
    }
  };

  describe(`outages: ${title}`, () => {
    it('server down: reads and writes fail with a StoreError naming the store, within the timeout; restarted, the same store works again by itself', async () => {
      await withApp(async ({ url, jar, store, key }) => {
        await server().pause();
        try {
          await failedRequest('a request with a session (read)', () => jar.fetch(`${url}/get`), store.name, options.down?.read);
          await failedRequest('a request starting a session (write)', () => fetch(`${url}/set/new`), store.name, options.down?.write);
          await failedCall('store.get', () => store.get(key), store.name, options.down?.read);
          await failedCall('store.set', () => store.set(key, record('y')), store.name, options.down?.write);
        } finally {
          await server().resume();
        }
        await options.afterRestart?.();
        if (options.keepsData) {
          await recovers('after the restart', async () => {
            expect(await body(answer('a read after the restart', jar.fetch(`${url}/get`)))).toBe('200 kept');
          });
          // The write made while the server was down failed; queued by a client, it may land later.
          expect(text(await answer('store.get after the restart', store.get(key)))).toMatch(/^[xy]$/);
        } else {
          const fresh = new CookieJar();
          await recovers('after the restart', async () => {
            expect(await body(answer('a write after the restart', fresh.fetch(`${url}/set/after`)))).toBe('200 ok');
          });
          expect(await body(answer('a read after the restart', fresh.fetch(`${url}/get`)))).toBe('200 after');
        }
        await answer('store.set after the restart', store.set(key, record('z')));
        expect(text(await answer('store.get after the restart', store.get(key)))).toBe('z');
      });
    }, 60_000);

    it('server frozen (port open, no answer): reads and writes fail with a StoreError naming the store, within the timeout; thawed, the same store works again', async () => {
      await withApp(async ({ url, jar, store, key }) => {
        const readMessage = options.frozen?.read ?? new RegExp(`read did not answer within ${timeout} ms`);
        const writeMessage = options.frozen?.write ?? new RegExp(`write did not answer within ${timeout} ms`);
        const requestMessage = options.frozen?.request ?? readMessage;
        await server().freeze();
        try {
          // A read, then a write queued behind the stuck connection: each within its timeout.
          const started = performance.now();
          const read = await failedCall('store.get', () => store.get(key), store.name, readMessage);
          if (!options.frozen?.read) expect(read.ms).toBeGreaterThanOrEqual(timeout - 50);
          const write = await failedCall('store.set', () => store.set(key, record('y')), store.name, writeMessage);
          if (!options.frozen?.write) expect(write.ms).toBeGreaterThanOrEqual(timeout - 50);
          expect(performance.now() - started).toBeLessThan(2 * timeout + margin);
          // Then a request, through the framework's error path.
          const request = await failedRequest('a request with a session (read)', () => jar.fetch(`${url}/get`), store.name, requestMessage);
          if (!options.frozen?.request && !options.frozen?.read) expect(request.ms).toBeGreaterThanOrEqual(timeout - 50);
        } finally {
          await server().thaw();
        }
        await recovers('after the thaw', async () => {
          expect(await body(answer('a read after the thaw', jar.fetch(`${url}/get`)))).toBe('200 kept');
        });
        // The write made while frozen failed for us; sent already, the server may apply it once
        // thawed, on a connection of its own and so in any order with later work (a timed-out
        // write has an unknown outcome). Wait until it has settled before writing again.
        expect(await settled(() => answer('store.get after the thaw', store.get(key)).then(text))).toMatch(/^[xy]$/);
        await answer('store.set after the thaw', store.set(key, record('z')));
        expect(text(await answer('store.get after the thaw', store.get(key)))).toBe('z');
      });
    }, 60_000);
  });
}
