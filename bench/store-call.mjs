// The per-call overhead every network store pays on each operation: storeCall (the time
// bound and the error wrapping of src/stores/shared/call.ts) around an operation that is
// already resolved, and the random bytes of a record version. Run from the sources with
// tsx; other checkouts (a worktree of an earlier commit) are measured beside this one:
//   npx tsx bench/store-call.mjs [/tmp/sk-base …]
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const checkouts = [new URL('..', import.meta.url).pathname, ...process.argv.slice(2).map((dir) => resolve(dir))];
const N = 300_000;
const scope = { name: 'bench', timeout: 5000 };

async function time(label, body) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await body(i);
  return [label, Number(process.hrtime.bigint() - started) / N];
}

const cases = [];
for (const checkout of checkouts) {
  const { storeCall } = await import(pathToFileURL(`${checkout}/src/stores/shared/call.ts`).href);
  cases.push([`storeCall (${checkout})`, (i) => storeCall(scope, 'read', 'remedy', () => Promise.resolve(i))]);
}
const { randomBytes: pooled } = await import(pathToFileURL(`${checkouts[0]}/src/stores/shared/random.ts`).href);
cases.push(['node:crypto randomBytes(8)', () => nodeRandomBytes(8)]);
cases.push(['pooled randomBytes(8) (src/stores/shared/random.ts)', () => pooled(8)]);
cases.push(['an await of a resolved promise (the floor)', (i) => Promise.resolve(i)]);

const results = new Map();
for (let round = 0; round < 5; round++) {
  for (const [label, body] of cases) {
    const [, ns] = await time(label, body);
    results.set(label, [...(results.get(label) ?? []), ns]);
  }
}
console.log('| case | ns per call (median of 5 rounds) |\n| --- | --- |');
for (const [label, list] of results) console.log(`| ${label} | ${[...list].sort((a, b) => a - b)[2].toFixed(0)} |`);
