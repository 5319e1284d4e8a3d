/**
 * What the conformance apps run inside their handlers (see adapter-suite.ts for the routes).
 * Apart from the suite so that it has no vitest and no Node built-ins: the same code runs
 * in the app under Node, Bun, Deno and inside workerd (test/runtimes/workerd/).
 */
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import type { UserSessionControls } from '../../src/core/manager.js';
import { heardEvents } from './adapter-profiles.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { session } from '../../src/engine/request-context.js';
import type { Session } from '../../src/engine/session.js';
import type { Store } from '../../src/core/store.js';
import type { StaleOutcome } from '../../src/freshness/check.js';

/**
 * The step-up routes every app has: GET /fresh behind `requireFresh(FRESH_MAX_AGE)` as it
 * comes, GET /fresh-custom behind the same guard with the app's own `onStale`, which answers
 * CUSTOM_STALE_STATUS and `customStaleText`. Both answer 'fresh' when the guard lets them through.
 * Short, so that the suite can wait it out.
 */
export const FRESH_MAX_AGE = '1s';
export const CUSTOM_STALE_STATUS = 403;
export const customStaleText = (outcome: StaleOutcome): string => `confirm: ${outcome.reason}`;

/** Used by every app's /accessor route: code with no access to the request object. */
export function setViaAccessor(): void {
  (session as unknown as Record<string, unknown>).via = 'accessor';
}
export function getViaAccessor(): string {
  return String((session as unknown as Record<string, unknown>).via);
}

/** What a record in the store holds, as the suite reads it behind the application's back. */
async function storedRecord(options: unknown, id: string) {
  const store = (options as SessionOptions).store as Store | undefined;
  if (!store) throw new Error('sessionForm needs the options the app was built with, with their store');
  const record = await store.get(`session:${id}`);
  if (!record) return undefined;
  const payload = msgpackCodec.decode(record.data) as { d: Record<string, unknown> };
  return { fields: payload.d, expiresAt: record.expiresAt };
}

/** The app's engine, for the ops on a user's sessions (the app was built with a SessionManager). */
function userControls(options: unknown): UserSessionControls {
  if (typeof options === 'object' && options !== null && 'listSessions' in options) return options as UserSessionControls;
  throw new Error('the user-sessions ops need an app built with a SessionManager (userField set)');
}

/**
 * Gates a request can wait at, so that a test can act while it is in the middle of its
 * handler. Flags that the waiting side polls on a timer, not a promise that another request
 * resolves: workerd does not wake a request for a promise settled by another request (it
 * cancels the request as hung), while a timer is the waiting request's own event.
 */
const gates = new Map<string, { arrived: boolean; open: boolean }>();
function gate(name: string) {
  let entry = gates.get(name);
  if (!entry) {
    entry = { arrived: false, open: false };
    gates.set(name, entry);
  }
  return entry;
}
async function until(condition: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !condition(); ) {
    if (Date.now() - started > 5000) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Calls `run(callback)` and resolves when the callback is called, rejecting with its error. */
function called(run: (callback: (error?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    run((error) => {
      if (error === undefined || error === null) resolve();
      else reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
    });
  });
}

/**
 * What /form reads: the query, and on a POST the fields of its parsed body over it (each app
 * parses the body its framework's way, after the session middleware's CSRF check).
 */
export interface FormQuery {
  op?: string | undefined;
  k?: string | undefined;
  v?: string | undefined;
  gate?: string | undefined;
}

/**
 * The body of every app's /form route: one of express-session's callback and promise forms
 * on the request's session, answered with what the suite checks. `options` are those the
 * app was built with (their store is read directly, to see whether a write has landed);
 * `current` returns the session the request holds now.
 */
export async function sessionForm(options: unknown, current: () => unknown, query: FormQuery): Promise<string> {
  const { op = '', k = 'k', v = '' } = query;
  const live = () => current() as Session & Record<string, unknown>;
  const s = live();
  switch (op) {
    case 'save-cb':
    case 'save-promise': {
      s[k] = v;
      if (op === 'save-cb') await called((done) => { s.save(done); });
      else await s.save();
      const stored = await storedRecord(options, s.id);
      return stored ? String(stored.fields[k]) : 'no record';
    }
    case 'reload-cb':
    case 'reload-promise': {
      const before = String(s[k]);
      const waiting = gate(query.gate ?? '');
      waiting.arrived = true;
      await until(() => waiting.open, 'the gate to open');
      if (op === 'reload-cb') await called((done) => { s.reload(done); });
      else await s.reload();
      return `${before}->${String(live()[k])}`;
    }
    case 'arrived': {
      // The suite waits here until a request is at the gate…
      const waiting = gate(query.gate ?? '');
      await until(() => waiting.arrived, 'a request at the gate');
      return 'arrived';
    }
    case 'open':
      // … and lets it go on.
      gate(query.gate ?? '').open = true;
      return 'opened';
    case 'destroy-cb':
    case 'destroy-promise': {
      const id = s.id;
      if (op === 'destroy-cb') await called((done) => { s.destroy(done); });
      else await s.destroy();
      const stored = await storedRecord(options, id);
      return JSON.stringify({ record: stored ? 'present' : 'gone', fields: Object.keys(live()) });
    }
    case 'regenerate-cb': {
      const oldId = s.id;
      await called((done) => { s.regenerate(done); });
      const next = live();
      const answer = { oldId, newId: next.id, replaced: next !== s, fields: Object.keys(next) };
      if (v) next[k] = v;
      return JSON.stringify(answer);
    }
    case 'set':
      s[k] = v;
      return 'ok';
    case 'touch':
      s.touch();
      return 'ok';
    case 'mark':
      s.markAuthenticated();
      return 'ok';
    case 'flash':
      return String(s.flash(k, v));
    case 'flashed':
      return JSON.stringify(s.flash(k));
    case 'csrf-token':
      return s.csrfToken();
    case 'max-age':
      s.cookie.maxAge = Number(v);
      // Read back as express-session does: the time left, here in whole seconds.
      return String(Math.round((s.cookie.maxAge ?? 0) / 1000));
    case 'stored': {
      const stored = await storedRecord(options, s.id);
      return JSON.stringify(stored ?? null);
    }
    case 'user-sessions':
      return String((await userControls(options).listSessions(k)).length);
    case 'revoke-user':
      return String(await userControls(options).revokeSessions(k));
    case 'events':
      // What the app's listeners heard since the last ask (./adapter-profiles.ts `recorded`).
      return (heardEvents.get(options as object) ?? []).splice(0).join(',');
    case 'fail':
      s[k] = v;
      throw new Error('the handler failed on purpose');
    default:
      return `unknown op ${op}`;
  }
}
