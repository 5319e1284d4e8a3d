// The cost of the `schema` option on the read path: the engine alone (no HTTP), a memory
// store, one stored session of a typical shape, loaded and committed unchanged in a loop;
// variants interleaved round by round in one process, medians compared (a noisy 2-core
// machine). Variants: no schema through loadSync (what adapters use on a store that reads
// synchronously), no schema through load() (the promise turn a schema adds, alone), and the
// same session checked by zod 4, valibot 1 and arktype 2 (load(), as every schema load goes).
// Run after a build: npm run build && node bench/schema.mjs
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';

const dist = new URL('../dist/', import.meta.url);
const { SessionEngine } = await import(new URL('index.js', dist).href);
const { MemoryStore } = await import(new URL('stores/memory.js', dist).href);
const ROUNDS = Number(process.env.SCHEMA_ROUNDS ?? 7);
const ITERATIONS = Number(process.env.SCHEMA_ITERATIONS ?? 100_000);

const data = { userId: 4711, name: 'ada', cart: [{ sku: 'apple', qty: 2 }, { sku: 'bread', qty: 1 }, { sku: 'cheese', qty: 3 }], counter: 0 };
const schemas = {
  zod: z.object({ userId: z.number(), name: z.string(), cart: z.array(z.object({ sku: z.string(), qty: z.number() })), counter: z.number() }),
  valibot: v.object({ userId: v.number(), name: v.string(), cart: v.array(v.object({ sku: v.string(), qty: v.number() })), counter: v.number() }),
  arktype: type({ userId: 'number', name: 'string', cart: type({ sku: 'string', qty: 'number' }).array(), counter: 'number' }),
};
const variants = {
  'no schema, loadSync': { options: {}, sync: true },
  'no schema, load()': { options: {}, sync: false },
  ...Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [`${name} schema`, { options: { schema }, sync: false }])),
};

async function setUp({ options, sync }) {
  const engine = new SessionEngine({ store: new MemoryStore(), secret: 'bench-secret-0123456789abcdefghij', ...options });
  const session = await engine.load(undefined);
  Object.assign(session, structuredClone(data));
  const first = engine.commit(session, { secure: false });
  await first.persist();
  if (sync && !engine.canLoadSync) throw new Error('loadSync is not available to this variant');
  return { engine, cookie: first.setCookies[0].split(';')[0], sync };
}

async function round({ engine, cookie, sync }) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) {
    const loaded = sync ? engine.loadSync(cookie) : await engine.load(cookie);
    if (loaded.isNew || engine.commit(loaded, { secure: false }).needsPersist) throw new Error('the read path wrote');
  }
  return Number(process.hrtime.bigint() - started) / ITERATIONS / 1000;
}

const built = await Promise.all(Object.values(variants).map(setUp));
const times = built.map(() => []);
for (let r = 0; r < ROUNDS; r++) for (const [index, variant] of built.entries()) times[index].push(await round(variant));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = median(times[0]);
console.log(`Node ${process.version}, median of ${ROUNDS} rounds of ${ITERATIONS} reads (load + unchanged commit):`);
for (const [index, name] of Object.keys(variants).entries()) {
  const time = median(times[index]);
  console.log(`${name.padEnd(22)} ${time.toFixed(2)} µs  (+${(time - base).toFixed(2)} µs)`);
}
