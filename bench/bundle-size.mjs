// What each entry point weighs in an application's bundle: every entry of a build's dist/
// bundled and minified on its own, every package external, as issue 9 measures it:
//   esbuild --bundle --minify --format=esm --platform=node --packages=external dist/<entry>.js
// Run after a build: node bench/bundle-size.mjs [dist-dir ...]
// Without arguments it measures this checkout's dist/, and BENCH_BASE's too when that is set
// (BENCH_BASE=/tmp/sessionkit-base/dist node bench/bundle-size.mjs), side by side.
// KB are 1,000 bytes (as in issue 9's 57 KB). Prints a Markdown table.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
const ENTRIES = ['index', 'express', 'fastify', 'koa', 'hono', 'web', 'node'];
const TARGET = { entry: 'express', kb: 50 }; // issue 25 (issue 9 asked 25)

const args = process.argv.slice(2);
const dists = args.length > 0 ? args : [join(root, 'dist'), ...(process.env.BENCH_BASE ? [process.env.BENCH_BASE] : [])];

/** Minified bundle size in bytes of one entry file, or undefined when the build has no such entry. */
function bundleBytes(dist, entry) {
  const file = join(dist, `${entry}.js`);
  if (!existsSync(file)) return undefined;
  const output = execFileSync(esbuild, [file, '--bundle', '--minify', '--format=esm', '--platform=node', '--packages=external', '--log-level=error'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return output.length;
}

const kb = (bytes) => (bytes === undefined ? '—' : `${(bytes / 1000).toFixed(1)} KB`);
const sizes = dists.map((dist) => {
  if (!existsSync(dist)) throw new Error(`${dist} does not exist: build it first (npm run build, or npx tsup in that checkout)`);
  return Object.fromEntries(ENTRIES.map((entry) => [entry, bundleBytes(dist, entry)]));
});

console.log(`| entry | ${dists.map((dist) => resolve(dist)).join(' | ')} |`);
console.log(`| --- | ${dists.map(() => '---').join(' | ')} |`);
for (const entry of ENTRIES) {
  const name = entry === 'index' ? 'sessionkit' : `sessionkit/${entry}`;
  console.log(`| ${name} | ${sizes.map((size) => `${kb(size[entry])} (${size[entry] ?? '—'} B)`).join(' | ')} |`);
}
const first = sizes[0][TARGET.entry];
if (first !== undefined) {
  const met = first <= TARGET.kb * 1000;
  console.log(`\nsessionkit/${TARGET.entry} in ${resolve(dists[0])}: ${kb(first)}, target ≤ ${TARGET.kb} KB: ${met ? 'met' : 'not met'}`);
}
