// "Above the floor", measured inside one server process: the variants of one framework
// (its floor, floor-spin calibrations, sessionkit, another build's sessionkit) are apps on
// ports of the same process, and autocannon drives them in turn, in short phases, for many
// cycles. Each phase's app CPU per request comes from the process's CPU time in ns (every
// thread's /proc schedstat), read just before and after it; each cycle compares a variant
// with the floor measured seconds apart in the same process.
//
// Why beside run.mjs: there every variant is its own process, and on this 2-core virtual
// machine two processes of identical code differ by more than the few µs the targets are
// about (floor-spin1 measured -1.1 µs above the floor in one run). One process shares its JIT,
// heap layout and core among the variants, so what is left between them is their own work.
//
// Usage (after npm run build, or with BENCH_BUILD=0 / BENCH_DIST as in run.mjs):
//   node bench/same-process.mjs fastify:floor,fastify:floor-spin1,fastify:floor-spin2,fastify:sessionkit-memory
// Every framework listed gets its own process; each must include its <framework>:floor.
//   SAME_PHASE   seconds per phase (default 2)      SAME_CYCLES  cycles per route (default 10)
//   SAME_ROUTES  routes (default read,write)        BENCH_PIN=1  server on core 0, autocannon on core 1
//   BENCH_BASE   another build's dist/, for @base variants (see bench/server.mjs)
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { cookiesFor, median, startVariants } from './variant-server.mjs';

const root = new URL('..', import.meta.url).pathname;
const VARIANTS = (process.argv[2] ?? 'fastify:floor,fastify:floor-spin1,fastify:floor-spin2,fastify:sessionkit-memory').split(',');
const PHASE_S = Number(process.env.SAME_PHASE ?? 2);
const CYCLES = Number(process.env.SAME_CYCLES ?? 10);
const ROUTES = (process.env.SAME_ROUTES ?? 'read,write').split(',');
const CONNECTIONS = 50;
const PIN = process.env.BENCH_PIN === '1';
if (PIN) execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
if (!process.env.BENCH_DIST && process.env.BENCH_BUILD !== '0') execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });

const frameworkOf = (variant) => variant.split(':')[0];
const floorOf = (variant) => `${frameworkOf(variant)}:floor`;
for (const variant of VARIANTS) if (!VARIANTS.includes(floorOf(variant))) throw new Error(`${variant} needs ${floorOf(variant)} in the list`);

/** CPU time of every thread of a process so far, in ns (schedstat's first field). */
function cpuNs(pid) {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read: its time is in no later reading either.
    }
  }
  return total;
}

function drive(url, route, cookies, seconds) {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `${url}/${route}`, connections: CONNECTIONS, duration: seconds, setupClient: (client) => client.setHeaders({ cookie: cookies[next++ % cookies.length] }) },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

const quartiles = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return [at(0.25), at(0.75)];
};

const rows = [];
for (const framework of new Set(VARIANTS.map(frameworkOf))) {
  const variants = VARIANTS.filter((variant) => frameworkOf(variant) === framework);
  const server = await startVariants(variants, { wrapper: PIN ? ['taskset', '-c', '0'] : [] });
  try {
    const cookies = await cookiesFor(server.urls, CONNECTIONS);
    for (const route of ROUTES) {
      // Warm-up: every variant's code optimized before the first measured phase.
      for (const [variant, url] of server.urls) await drive(url, route, cookies.get(variant), 2);
      const perRequest = new Map(variants.map((variant) => [variant, []]));
      const throughput = new Map(variants.map((variant) => [variant, []]));
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        // A different variant goes first each cycle, so that none always follows the same one.
        const order = variants.map((_, index) => variants[(index + cycle) % variants.length]);
        for (const variant of order) {
          const before = cpuNs(server.pid);
          const result = await drive(server.urls.get(variant), route, cookies.get(variant), PHASE_S);
          const used = cpuNs(server.pid) - before;
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`${variant} /${route}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
          perRequest.get(variant).push(used / result.requests.total / 1000);
          throughput.get(variant).push(result.requests.total / PHASE_S);
        }
      }
      const floor = perRequest.get(floorOf(variants[0]));
      for (const variant of variants) {
        const own = perRequest.get(variant);
        const differences = own.map((value, cycle) => value - floor[cycle]);
        const [low, high] = quartiles(differences);
        rows.push({ variant, route, reqs: median(throughput.get(variant)), cpu: median(own), above: median(differences), low, high });
        console.log(`${variant} /${route}: ${median(own).toFixed(2)} µs of CPU per request, ${median(differences).toFixed(2)} above the floor (quartiles ${low.toFixed(2)} to ${high.toFixed(2)})`);
      }
    }
  } finally {
    server.child.kill('SIGTERM');
  }
}

console.log(`\nNode ${process.version}, ${CYCLES} cycles of ${PHASE_S} s phases per route, ${CONNECTIONS} connections${PIN ? ', server pinned to core 0' : ''}; all variants of a framework in one process.\n`);
console.log('| variant | route | req/s (median) | app CPU µs per request (median) | µs above the floor (median of the cycles\' differences) | quartiles of the differences |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) {
  const isFloor = row.variant === floorOf(row.variant);
  console.log(`| ${row.variant} | /${row.route} | ${Math.round(row.reqs)} | ${row.cpu.toFixed(1)} | ${isFloor ? '' : row.above.toFixed(2)} | ${isFloor ? '' : `${row.low.toFixed(2)} to ${row.high.toFixed(2)}`} |`);
}
