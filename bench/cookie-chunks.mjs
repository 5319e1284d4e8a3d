// Sealed sessions past one cookie (cookieStore({ chunk: true })), the engine alone, no HTTP:
// the read path (load the session from its cookies, commit it unchanged) and the write path
// (load, change a field, commit: sealed again and split) of
//   2.8 KB, chunk off    one cookie, as before chunking existed
//   2.8 KB, chunk on     the same session, still one cookie, read by an engine that looks for chunks
//   10 KB, chunk on    four cookies (maxChunks 4)
// Run after a build: npm run build && node bench/cookie-chunks.mjs [dist-dir ...]
// With several builds (e.g. one of the commit before, /tmp/sessionkit-base/dist), the
// "2.8 KB, chunk off" rows of each run interleaved in one process: the one-cookie path compared.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dists = process.argv.length > 2 && process.argv[2] !== '--loop' ? process.argv.slice(2).map((dir) => pathToFileURL(`${resolve(dir)}/`)) : [new URL('../dist/', import.meta.url)];
const ROUNDS = Number(process.env.CHUNK_ROUNDS ?? 5);
const ITERATIONS = Number(process.env.CHUNK_ITERATIONS ?? 20_000);
const SECRET = 'bench-chunk-secret-0123456789abcdefghij';
const filler = (bytes) => Array.from({ length: bytes }, (_, index) => String.fromCharCode(97 + ((index * 7919) % 26))).join('');

/** One build's engine on sealed cookies, with one session of `bytes` bytes and its Cookie header. */
async function setUp(dist, { bytes, chunk }) {
  const { SessionEngine } = await import(new URL('index.js', dist).href);
  const { cookieStore } = await import(new URL('stores/cookie.js', dist).href);
  const store = cookieStore(chunk ? { secret: SECRET, chunk: true, maxChunks: 4 } : { secret: SECRET });
  // No refresh: a run past touchAfter would otherwise make the read path write.
  const engine = new SessionEngine({ store, refreshEachRequest: false });
  const session = await engine.load(undefined);
  Object.assign(session, { userId: 4711, counter: 0, data: filler(bytes) });
  const pending = engine.commit(session, { secure: false });
  await pending.persist();
  const header = pending.setCookies.map((line) => line.split(';')[0]).join('; ');
  return { engine, header, cookies: pending.setCookies.length };
}

function round({ engine, header }) {
  let started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) {
    const loaded = engine.loadSync(header);
    if (loaded.isNew || engine.commit(loaded, { secure: false }).setCookies.length !== 0) throw new Error(`the read path lost the session or set a cookie: ${header.slice(0, 40)}`);
  }
  const read = Number(process.hrtime.bigint() - started) / ITERATIONS / 1000;
  started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) {
    const loaded = engine.loadSync(header);
    loaded.counter += 1;
    if (engine.commit(loaded, { secure: false }).setCookies.length === 0) throw new Error('the write path set no cookie');
  }
  const write = Number(process.hrtime.bigint() - started) / ITERATIONS / 1000;
  return { read, write };
}

// `--loop DIST`: only DIST's "2.8 KB, chunk off" read and write loops, CHUNK_ITERATIONS each, for
// valgrind (instructions of two iteration counts subtracted: the request path without start-up):
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null node bench/cookie-chunks.mjs --loop dist
if (process.argv[2] === '--loop') {
  round(await setUp(pathToFileURL(`${resolve(process.argv[3])}/`), { bytes: 2_800, chunk: false }));
  process.exit(0);
}
const cases = [];
for (const dist of dists) cases.push({ label: `2.8 KB, chunk off (${dist.pathname})`, ...(await setUp(dist, { bytes: 2_800, chunk: false })) });
cases.push({ label: '2.8 KB, chunk on', ...(await setUp(dists[0], { bytes: 2_800, chunk: true })) });
cases.push({ label: '10 KB, chunk on', ...(await setUp(dists[0], { bytes: 10_240, chunk: true })) });
const results = cases.map(() => ({ read: [], write: [] }));
for (let r = 1; r <= ROUNDS; r++) {
  for (const [index, one] of cases.entries()) {
    const { read, write } = round(one);
    results[index].read.push(read);
    results[index].write.push(write);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = { read: median(results[0].read), write: median(results[0].write) };
console.log(`median of ${ROUNDS} rounds of ${ITERATIONS}; ratio to the first row`);
console.log('| session | cookies | Cookie header | read µs | ratio | write µs | ratio |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [index, one] of cases.entries()) {
  const read = median(results[index].read);
  const write = median(results[index].write);
  console.log(`| ${one.label} | ${one.cookies} | ${one.header.length} | ${read.toFixed(2)} | ${(read / base.read).toFixed(2)} | ${write.toFixed(2)} | ${(write / base.write).toFixed(2)} |`);
}
