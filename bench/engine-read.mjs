// The engine alone, no HTTP: the read path (load a signed session from its cookie, commit
// it unchanged) and the write path (load, increment a counter, commit, persist), each in a
// loop. Shows how much of a request's time is sessionkit's own.
// Run after a build: npm run build && node bench/engine-read.mjs [dist-dir ...]
// With several builds (another build's dist/, e.g. /tmp/sessionkit-base/dist), their rounds
// are interleaved in one process and the medians compared, which evens out a noisy machine.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dists = process.argv.length > 2 ? process.argv.slice(2).map((dir) => pathToFileURL(`${resolve(dir)}/`)) : [new URL('../dist/', import.meta.url)];
const ROUNDS = Number(process.env.ENGINE_ROUNDS ?? (dists.length > 1 ? 9 : 3));
const ITERATIONS = 200_000;
const WRITES = 100_000;

/** One build's engine on a memory store, with one stored session and its cookie. */
async function setUp(dist) {
  const { SessionEngine } = await import(new URL('index.js', dist).href);
  const { MemoryStore } = await import(new URL('stores/memory.js', dist).href);
  const engine = new SessionEngine({ store: new MemoryStore(), secret: 'bench-secret-0123456789abcdefghij' });
  const session = await engine.load(undefined);
  Object.assign(session, { userId: 4711, name: 'ada', cart: ['apple', 'bread', 'cheese', 'dates', 'eggs'], counter: 0 });
  const first = engine.commit(session, { secure: false });
  await first.persist();
  return { engine, cookie: first.setCookies[0].split(';')[0] };
}

async function round({ engine, cookie }) {
  let started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) {
    const loaded = engine.loadSync(cookie);
    if (!loaded || engine.commit(loaded, { secure: false }).needsPersist) throw new Error('the read path wrote');
  }
  const read = Number(process.hrtime.bigint() - started) / ITERATIONS / 1000;
  started = process.hrtime.bigint();
  for (let i = 0; i < WRITES; i++) {
    const loaded = engine.loadSync(cookie);
    loaded.counter += 1;
    const pending = engine.commit(loaded, { secure: false });
    // As the adapters do (persistCommit): written at once where the store can, else awaited.
    // (Until 2026-12-06 this loop awaited persist(), a promise turn per write.)
    // persistNow: its name in builds before 2026-12-07 (a base build compared side by side).
    const atOnce = pending.persistAtOnce ?? pending.persistNow;
    const writing = atOnce ? atOnce.call(pending) : pending.persist();
    if (writing) await writing;
  }
  const write = Number(process.hrtime.bigint() - started) / WRITES / 1000;
  return { read, write };
}

const builds = await Promise.all(dists.map(setUp));
const results = builds.map(() => ({ read: [], write: [] }));
for (let r = 1; r <= ROUNDS; r++) {
  for (const [index, build] of builds.entries()) {
    const { read, write } = await round(build);
    results[index].read.push(read);
    results[index].write.push(write);
    console.log(`round ${r}, ${dists[index].pathname}: read (load + unchanged commit) ${read.toFixed(2)} µs, write (load + change + commit + persist) ${write.toFixed(2)} µs per request`);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [index, result] of results.entries()) {
  console.log(`median of ${ROUNDS}, ${dists[index].pathname}: read ${median(result.read).toFixed(2)} µs, write ${median(result.write).toFixed(2)} µs`);
}
