/**
 * readCookie against the cookie library's parse on headers of many parts without '='
 * (`a;a;a;…;session=x`), the shape that made the old scan quadratic, and on a small header.
 * Run from the repository: `npx tsx bench/cookie-header.mts [path of a cookie-header.ts]`
 * (a second copy, such as an older commit's, compares the two).
 */
import { parse } from 'cookie';

const source = process.argv[2] ?? new URL('../src/engine/cookie/cookie-header.ts', import.meta.url).pathname;
const { readCookie } = (await import(source)) as { readCookie: (header: string, name: string) => string | undefined };

for (const kilobytes of [16, 128, 256]) {
  const header = `${'a;'.repeat((kilobytes * 1024) / 2 - 8)}session=x`;
  parse(header); // flattens the concatenated string, so neither side pays for that
  let started = performance.now();
  for (let round = 0; round < 5; round++) readCookie(header, 'session');
  const ours = (performance.now() - started) / 5;
  started = performance.now();
  for (let round = 0; round < 5; round++) parse(header);
  const library = (performance.now() - started) / 5;
  console.log(`${kilobytes} KB: readCookie ${ours.toFixed(3)} ms, cookie.parse ${library.toFixed(3)} ms`);
}
const small = 'session=abc.def; other=1';
const started = performance.now();
for (let round = 0; round < 1e6; round++) readCookie(small, 'session');
console.log(`small header: ${((performance.now() - started) / 1e3).toFixed(3)} µs per read`);
