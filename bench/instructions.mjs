// Instructions per request, counted by valgrind's callgrind: the same figure whatever else the
// machine does, where CPU time per request moves by several µs between runs on this 2-core
// virtual machine. The variants of one framework (its floor, sessionkit, another build's
// sessionkit) are apps of one server process run under callgrind; for each, the counters are
// zeroed, a fixed number of requests is sent, and the count is read (callgrind_control).
// Counts are of the server's user-space instructions only: not the kernel's, and not what a
// cache miss costs; a round now and then carries a garbage collection of the whole heap or a
// recompilation, so the minimum of the rounds is the figure.
//
// Needs Debian's valgrind. After npm run build (or with BENCH_BUILD=0 / BENCH_DIST):
//   node bench/instructions.mjs fastify:floor,fastify:sessionkit-memory[,fastify:sessionkit-memory@base]
//   INSTR_REQUESTS  requests per count (default 2000)     INSTR_WARMUP  requests first (default 6000)
//   INSTR_ROUNDS    counts per variant and route (3)      INSTR_ROUTES  default read,write
// About a minute per route and variant: node under valgrind runs some fifty times slower.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cookiesFor, startVariants } from './variant-server.mjs';

const root = new URL('..', import.meta.url).pathname;
const VARIANTS = (process.argv[2] ?? 'fastify:floor,fastify:sessionkit-memory').split(',');
const REQUESTS = Number(process.env.INSTR_REQUESTS ?? 2000);
const WARMUP = Number(process.env.INSTR_WARMUP ?? 6000);
const ROUNDS = Number(process.env.INSTR_ROUNDS ?? 3);
const ROUTES = (process.env.INSTR_ROUTES ?? 'read,write').split(',');
const CONCURRENCY = 4;
const framework = VARIANTS[0].split(':')[0];
const floor = `${framework}:floor`;
if (!VARIANTS.includes(floor)) throw new Error(`the list needs ${floor}: counts are given above it`);
if (!process.env.BENCH_DIST && process.env.BENCH_BUILD !== '0') execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });

const outDir = mkdtempSync(join(tmpdir(), 'sessionkit-callgrind-'));
// --single-threaded: V8 compiles and collects on the main thread, so every instruction of the
// server is in one count (callgrind runs one thread at a time anyway).
const server = await startVariants(VARIANTS, {
  wrapper: ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${outDir}/callgrind.out.%p`],
  nodeArgs: ['--single-threaded'],
});
const cookies = await cookiesFor(server.urls, 20);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(url, cookie, retried = false) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { cookie } }, (response) => {
        if (response.statusCode !== 200) reject(new Error(`${url}: status ${response.statusCode}`));
        response.resume();
        response.on('end', resolve);
      })
      .on('error', (error) => {
        // A kept-alive socket the server closed while valgrind dumped (Node's own server drops
        // one idle for 5 s; Fastify's waits 72): sent again once on a new one.
        if (error.code === 'ECONNRESET' && !retried) resolve(request(url, cookie, true));
        else reject(error);
      });
  });
}

async function send(variant, route, count) {
  const url = `${server.urls.get(variant)}/${route}`;
  const list = cookies.get(variant);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const index = next++;
        await request(url, list[index % list.length]);
      }
    }),
  );
}

/** Instructions since the last zeroing: callgrind_control dumps, the newest dump's summary line has them. */
function instructionsSinceZero() {
  execFileSync('callgrind_control', ['--dump', String(server.pid)], { stdio: 'ignore' });
  const prefix = `callgrind.out.${server.pid}.`;
  const newest = readdirSync(outDir)
    .filter((name) => name.startsWith(prefix))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .at(-1);
  const summary = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(outDir, newest), 'utf8'));
  if (!summary) throw new Error(`no instruction count in ${newest}`);
  return Number(summary[1]);
}

const results = [];
try {
  for (const route of ROUTES) {
    for (const variant of VARIANTS) await send(variant, route, WARMUP);
    const counts = new Map(VARIANTS.map((variant) => [variant, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of VARIANTS) {
        execFileSync('callgrind_control', ['--zero', String(server.pid)], { stdio: 'ignore' });
        await send(variant, route, REQUESTS);
        counts.get(variant).push(instructionsSinceZero() / REQUESTS);
        console.log(`${variant} /${route}, round ${round + 1}: ${Math.round(counts.get(variant).at(-1))} instructions per request`);
      }
    }
    const floorCount = Math.min(...counts.get(floor));
    for (const variant of VARIANTS) {
      const least = Math.min(...counts.get(variant));
      results.push({ variant, route, least, above: variant === floor ? undefined : least - floorCount, all: counts.get(variant) });
    }
  }
} finally {
  server.child.kill('SIGKILL');
  rmSync(outDir, { recursive: true, force: true });
}

console.log(`\nNode ${process.version} under callgrind (--single-threaded), ${REQUESTS} requests per count after ${WARMUP}, ${CONCURRENCY} connections, ${ROUNDS} rounds.\n`);
console.log('| variant | route | instructions per request (least of the rounds) | above the floor | every round |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of results) {
  const above = row.above === undefined ? '' : Math.round(row.above).toLocaleString('en');
  console.log(`| ${row.variant} | /${row.route} | ${Math.round(row.least).toLocaleString('en')} | ${above} | ${row.all.map((count) => Math.round(count).toLocaleString('en')).join(', ')} |`);
}
