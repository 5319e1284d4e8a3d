/**
 * What the `csrf` option adds to a request: the adapters' check (forms/csrf.ts through
 * adapters/shared/csrf.ts), beside a whole request's session work (load, commit) of the same
 * session in the memory store. With the option off an adapter reads one property (`engine.csrf`).
 * Run from the repository after `npm run build` (for #crypto): `npx tsx bench/csrf-check.mts`.
 * The best of 5 rounds of 200,000 calls each, in ns per call.
 */
import { csrfRefusalFor } from '../src/adapters/shared/csrf.js';
import { SessionEngine } from '../src/engine/engine.js';
import { DEFAULT_CSRF_POLICY } from '../src/forms/csrf.js';
import { MemoryStore } from '../src/stores/memory.js';

const CALLS = 200_000;
const engine = new SessionEngine({ store: new MemoryStore(), secret: 'bench-secret-0123456789abcdef', csrf: true, logger: { warn() {}, info() {} } });
const first = engine.loadSync(undefined);
const token = first.csrfToken();
const pending = engine.commit(first);
await pending.persist();
const cookie = pending.setCookies[0]!.split(';')[0]!;

function best(work: () => unknown): number {
  let fastest = Infinity;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let call = 0; call < CALLS; call++) work();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / CALLS);
  }
  return fastest;
}

const session = engine.loadSync(cookie);
const rows: [string, number][] = [
  ['option off: engine.csrf read', best(() => engine.csrf)],
  ['GET (safe method, not checked)', best(() => csrfRefusalFor(DEFAULT_CSRF_POLICY, session, { method: 'GET', header: undefined, body: undefined }))],
  ['POST, token in x-csrf-token', best(() => csrfRefusalFor(DEFAULT_CSRF_POLICY, session, { method: 'POST', header: token, body: undefined }))],
  ['POST, token in a parsed _csrf field', best(() => csrfRefusalFor(DEFAULT_CSRF_POLICY, session, { method: 'POST', header: undefined, body: { _csrf: token } }))],
  ['POST, no token (refused: a CsrfError made)', best(() => csrfRefusalFor(DEFAULT_CSRF_POLICY, session, { method: 'POST', header: undefined, body: undefined }))],
  ['for scale: load + commit of that session', best(() => engine.commit(engine.loadSync(cookie)))],
];
for (const [what, ns] of rows) console.log(`${what.padEnd(46)} ${ns.toFixed(1).padStart(8)} ns`);
