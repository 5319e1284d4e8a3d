/**
 * The session options of the conformance apps, by name. Apart from the suites so that they
 * have no vitest and no Node built-ins: an app inside workerd (test/runtimes/workerd/)
 * builds the very same options, and the suite, driving it from outside, names them.
 */
import { SessionEngine, type SessionManager } from '../../src/engine/engine.js';
import { multiSession, type MultiSessionEntry } from '../../src/compose/multi-session.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { NullStore } from '../../src/stores/null.js';
import * as z from 'zod';

/** The apps describeAdapter asks for; 'failing-read' and 'failing-sync-read' need a file system and are built by the suite itself. */
export type AdapterProfile = 'main' | 'signed' | 'retired' | 'failing' | 'locked' | 'chunked' | 'schema' | 'schema-error' | 'csrf';
/** The apps describeMultiSession asks for. */
export type MultiSessionProfile = 'multi' | 'multi-strict';

export const quiet = { warn: () => {}, info: () => {} };
const SECRET = 'adapter-suite-secret-0123456789';
const RETIRED_SECRET = 'adapter-suite-retired-secret-0123456789';
const MULTI_SECRET = 'multi-session-suite-secret-0123456789';
const CHUNK_SECRET = 'adapter-suite-chunk-secret-0123456789';

export interface ProfileSettings {
  /** The main app's request-scoped accessor (AsyncLocalStorage); off where the runtime has none. Default on. */
  requestContext?: boolean;
}

/**
 * The session's shape in the schema apps: `count`, when set, is digits. The main app, sharing
 * their store, writes the previous deploy's shapes: count=old (upgraded by onInvalid to '0')
 * and any other letters (which nothing upgrades: a fresh session).
 */
// zod imported as a namespace: under Bun, its named export `z` is undefined here.
const countSchema = z.looseObject({ count: z.string().regex(/^\d+$/).optional() });
const upgradeCount = (data: Record<string, unknown>) => (data.count === 'old' ? { ...data, count: '0' } : data);

export function adapterProfiles({ requestContext = true }: ProfileSettings = {}): Record<AdapterProfile, SessionOptions | SessionManager> {
  // One store behind the unsigned, the signed and the retired-key app: an id valid in one
  // must still be refused by the others.
  const store = new MemoryStore();
  return {
    main: { store, logger: quiet, requestContext, freshness: true },
    signed: { store, secret: SECRET, logger: quiet },
    retired: { store, secret: RETIRED_SECRET, logger: quiet },
    failing: { store: new NullStore(), logger: quiet },
    // A short wait and a long lease: a lock an adapter failed to give back makes the next
    // request of the session fail after a second instead of passing. Two sessions per user:
    // a third login's SessionLimitError goes through the framework's error path. Bound to the
    // user agent its user signed in with: a request with another is a `suspicious` event.
    locked: recorded(
      new SessionEngine({
        store: new MemoryStore(),
        logger: quiet,
        lock: { wait: '1s', lease: '60s' },
        userField: 'user',
        maxSessionsPerUser: 2,
        onLimit: 'refuse',
        bind: { userAgent: true },
      }),
    ),
    // Sealed sessions past one cookie, in up to three (the default maxChunks).
    chunked: { store: cookieStore({ secret: CHUNK_SECRET, chunk: true }), logger: quiet },
    schema: { store, logger: quiet, schema: countSchema, onInvalid: upgradeCount },
    'schema-error': { store, logger: quiet, schema: countSchema, onInvalid: 'error' },
    csrf: { store: new MemoryStore(), logger: quiet, csrf: true },
  };
}

/** What the app's engine told its listeners, by engine: `name` or `name:reason` (missed) or `name:parts` (suspicious), as the `events` route answers it. */
export const heardEvents = new WeakMap<object, string[]>();

/** `manager`, with a listener that records the events the adapter suite checks (a listener on the factory's result works the same: the suite asks through the app). */
function recorded<M extends SessionManager>(manager: M): M {
  const heard: string[] = [];
  heardEvents.set(manager, heard);
  manager.on('created', () => heard.push('created'));
  manager.on('missed', (event) => heard.push(`missed:${event.reason}`));
  manager.on('destroyed', () => heard.push('destroyed'));
  manager.on('revoked', (event) => heard.push(`revoked:${event.count}`));
  manager.on('suspicious', (event) => heard.push(`suspicious:${event.changed.join('+')}`));
  return manager;
}

/**
 * 'csrf' is a sealed cookie holding csrf_token, 'sid' a signed id whose user_id and
 * user_data live in a memory store, 'data' a memory store (by type name) taking every
 * other field; 'multi-strict' has no 'data'.
 */
function entries(withAuto: boolean): MultiSessionEntry[] {
  const sessions: MultiSessionEntry[] = [
    { cookie: { name: 'csrf' }, store: cookieStore({ secret: MULTI_SECRET }), fields: ['csrf_token'] },
    { cookie: { name: 'sid' }, store: new MemoryStore(), secret: MULTI_SECRET, fields: ['user_id', 'user_data'] },
  ];
  if (withAuto) sessions.push({ cookie: { name: 'data' }, type: 'memory', fields: 'auto' });
  return sessions;
}

export function multiSessionProfiles(): Record<MultiSessionProfile, SessionManager> {
  return {
    multi: multiSession({ sessions: entries(true), logger: quiet }),
    'multi-strict': multiSession({ sessions: entries(false), logger: quiet }),
  };
}
