// What `encrypt` adds to a request: the engine alone, no HTTP, on the memory store (with
// its memo, and with keepDecoded: false, where every read opens the record) and on Redis,
// with 1 KB and 100 KB sessions (bench/session-data.mjs). Per variant, the read path (load
// a signed session from its cookie, commit it unchanged) and the write path (load, change a
// counter, commit, persist), each run for BENCH_BUDGET_MS at a time. The figure is this
// process's CPU time per request (user + system, process.cpuUsage), as the other benches'
// "app CPU": it leaves out the Redis server and the waits for it, which a loaded 2-core
// machine stretches at random. Each variant runs without and with `encrypt` in alternation,
// BENCH_ROUNDS times (the order swapped each time), after a dropped warm-up round; the table
// gives the medians and the median of the ratios of the pairs measured next to each other.
// Run from the sources (a throwaway redis-server is started through test/servers/):
//   npx tsx bench/encryption.mjs
// BENCH_ROUNDS (default 7), BENCH_BUDGET_MS (default 200), BENCH_SIZES (KB, default 1,100).
import { createClient } from 'redis';
import { sessionOfSize } from './session-data.mjs';
import { SessionEngine } from '../src/index.ts';
import { MemoryStore } from '../src/stores/memory.ts';
import { RedisStore } from '../src/stores/redis/index.ts';
import { startRedis } from '../test/servers/redis.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 200);
const SIZES = (process.env.BENCH_SIZES ?? '1,100').split(',').map(Number);
const SECRET = 'bench-encryption-secret-0123456789abcdef';
const quiet = { warn: (message) => console.error(message), info: () => {} };

const redis = await startRedis();
const client = createClient({ url: redis.url });
client.on('error', (error) => console.error('redis:', error.message));
await client.connect();

const stores = [
  ['memory', () => new MemoryStore({ maxEntries: 100, maxBytes: 1 << 30 })],
  ['memory, keepDecoded: false', () => new MemoryStore({ maxEntries: 100, maxBytes: 1 << 30, keepDecoded: false })],
  ['Redis', () => new RedisStore({ client })],
];

/** One engine with one stored session of `kb` KB, and that session's cookie. */
async function variant(storeName, makeStore, kb, encrypt) {
  const engine = new SessionEngine({ store: makeStore(), secret: SECRET, encrypt, logger: quiet, maxSessionBytes: 4 << 20 });
  const session = await engine.load(undefined);
  Object.assign(session, sessionOfSize(kb));
  const first = engine.commit(session, { secure: false });
  await first.persist();
  return { storeName, kb, encrypt, engine, cookie: first.setCookies[0].split(';')[0], read: [], write: [] };
}

/** As the adapters load: without a promise where the engine can. */
const load = (engine, cookie) => (engine.canLoadSync ? engine.loadSync(cookie) : engine.load(cookie));

/** CPU µs of this process per call of `body`, run for the budget. */
async function timed(body) {
  const until = process.hrtime.bigint() + BigInt(BUDGET_MS) * 1_000_000n;
  const cpu = process.cpuUsage();
  let calls = 0;
  while (process.hrtime.bigint() < until) {
    for (let i = 0; i < 10; i++) await body();
    calls += 10;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / calls;
}

async function measure(v) {
  v.read.push(
    await timed(async () => {
      const loaded = await load(v.engine, v.cookie);
      if (loaded.isNew || v.engine.commit(loaded, { secure: false }).needsPersist) throw new Error(`${v.storeName}: the read path wrote or lost the session`);
    }),
  );
  v.write.push(
    await timed(async () => {
      const loaded = await load(v.engine, v.cookie);
      loaded.counter += 1;
      const pending = v.engine.commit(loaded, { secure: false });
      const writing = pending.persistAtOnce ? pending.persistAtOnce() : pending.persist();
      if (writing) await writing;
    }),
  );
}

const pairs = [];
for (const kb of SIZES) {
  for (const [name, make] of stores) pairs.push([await variant(name, make, kb, false), await variant(name, make, kb, true)]);
}
// A first round warms the JIT and is dropped.
for (let round = 0; round <= ROUNDS; round++) {
  for (const pair of pairs) for (const v of round % 2 ? [...pair].reverse() : pair) await measure(v);
  if (round === 0) for (const v of pairs.flat()) v.read.length = v.write.length = 0;
  else console.error(`round ${round} of ${ROUNDS} done`);
}
await client.close();
await redis.stop();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const us = (value) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
console.log(`Node ${process.version}, ${ROUNDS} rounds of ${BUDGET_MS} ms per variant and path; CPU µs per request (medians), engine alone\n`);
console.log('| store | session | read | read, encrypt | added | ratio | write | write, encrypt | added | ratio |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [off, on] of pairs) {
  const cells = ['read', 'write'].flatMap((path) => {
    const [before, after] = [median(off[path]), median(on[path])];
    const ratio = median(off[path].map((value, index) => on[path][index] / value));
    const added = after - before;
    return [us(before), us(after), `${added < 0 ? '−' : '+'}${us(Math.abs(added))}`, `${ratio.toFixed(2)}x`];
  });
  console.log(`| ${off.storeName} | ${off.kb} KB | ${cells.join(' | ')} |`);
}
