// The engine alone, no HTTP: the read path (load a signed session from its cookie, commit
// it unchanged) and the write path (load, increment a counter, commit, persist), each in a
// loop. Shows how much of a request's time is sessionkit's own.
// Run after a build: npm run build && node bench/engine-read.mjs [dist-dir]
// (another build's dist/, e.g. /tmp/sessionkit-base/dist, to compare two versions).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = process.argv[2] ? pathToFileURL(`${resolve(process.argv[2])}/`) : new URL('../dist/', import.meta.url);
const { SessionEngine } = await import(new URL('index.js', dist).href);
const { MemoryStore } = await import(new URL('stores/memory.js', dist).href);

const engine = new SessionEngine({ store: new MemoryStore(), secret: 'bench-secret-0123456789abcdefghij' });
const session = await engine.load(undefined);
Object.assign(session, { userId: 4711, name: 'ada', cart: ['apple', 'bread', 'cheese', 'dates', 'eggs'], counter: 0 });
const first = engine.commit(session, { secure: false });
await first.persist();
const cookie = first.setCookies[0].split(';')[0];

const ITERATIONS = 200_000;
const WRITES = 100_000;
for (let round = 1; round <= 3; round++) {
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
    await pending.persist();
  }
  const write = Number(process.hrtime.bigint() - started) / WRITES / 1000;
  console.log(`round ${round}: read (load + unchanged commit) ${read.toFixed(2)} µs, write (load + change + commit + persist) ${write.toFixed(2)} µs per request`);
}
