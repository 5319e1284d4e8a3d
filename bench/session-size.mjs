// App CPU per request against session size: `npx tsx bench/session-size.mjs`.
// For each size (BENCH_SIZES, KB, default 1,10,100) it runs bench/run.mjs on the read route
// with BENCH_SESSION_KB set: every variant its own server process, autocannon in the
// parent, app CPU per request from /proc/<pid>/stat, interleaved rounds, medians. The
// variants of one size are measured side by side in one run of run.mjs; the sizes one
// after the other. Variants: Express with sessionkit and with express-session, on the
// memory store and on Redis (connect-redis), beside Express without sessions; with
// BENCH_BASE=<another build's dist/>, sessionkit on that build too (@base), interleaved.
// BENCH_DURATION and BENCH_ROUNDS are passed on (defaults here: 5 s, 3 rounds).
// Writes the table to bench/results-session-size.md (not committed) and the chart,
// cost in µs against session size with one line per variant, to bench/session-size.svg.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SIZES = (process.env.BENCH_SIZES ?? '1,10,100').split(',').map(Number);
const BASE = process.env.BENCH_BASE;
const VARIANTS = [
  'express:none',
  'express:sessionkit-memory',
  ...(BASE ? ['express:sessionkit-memory@base'] : []),
  'express:express-session-memory',
  'express:sessionkit-redis',
  ...(BASE ? ['express:sessionkit-redis@base'] : []),
  'express:express-session-redis',
];
const LABELS = {
  'express:none': 'Express without sessions',
  'express:sessionkit-memory': 'sessionkit, memory',
  'express:sessionkit-memory@base': 'sessionkit @base, memory',
  'express:express-session-memory': 'express-session, memory',
  'express:sessionkit-redis': 'sessionkit, Redis',
  'express:sessionkit-redis@base': 'sessionkit @base, Redis',
  'express:express-session-redis': 'express-session + connect-redis',
};

if (!process.env.BENCH_DIST && process.env.BENCH_BUILD !== '0') execFileSync('npm', ['run', '--silent', 'build', '--', '--silent'], { cwd: root, stdio: 'inherit' });
const scratch = mkdtempSync(join(tmpdir(), 'session-size-'));
const runs = [];
for (const kb of SIZES) {
  const file = join(scratch, `${kb}.json`);
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/run.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      BENCH_BUILD: '0',
      BENCH_SESSION_KB: String(kb),
      BENCH_ROUTES: 'read',
      BENCH_VARIANTS: VARIANTS.join(','),
      BENCH_JSON: file,
      BENCH_DURATION: process.env.BENCH_DURATION ?? '5',
      BENCH_ROUNDS: process.env.BENCH_ROUNDS ?? '3',
    },
  });
  runs.push({ kb, ...JSON.parse(readFileSync(file, 'utf8')) });
}

const cpu = (run, variant) => run.medians[variant].read.cpuMicros;
const fmt = (micros) => Math.round(micros).toLocaleString('en-US');
const rows = runs.map((run) => `| ${run.kb} KB | ${VARIANTS.map((variant) => fmt(cpu(run, variant))).join(' | ')} |`);
const ratioRows = runs.map((run) => {
  const ratio = (a, b) => (cpu(run, b) / cpu(run, a)).toFixed(2);
  return `| ${run.kb} KB | ${ratio('express:sessionkit-memory', 'express:express-session-memory')}x | ${ratio('express:sessionkit-redis', 'express:express-session-redis')}x |` +
    (BASE ? ` ${ratio('express:sessionkit-memory', 'express:sessionkit-memory@base')}x | ${ratio('express:sessionkit-redis', 'express:sessionkit-redis@base')}x |` : '');
});
const report = [
  `Node ${runs[0].node}, ${runs[0].duration} s per case, median of ${runs[0].rounds} interleaved rounds per size, ${new Date().toISOString().slice(0, 10)}. Builds: ${runs[0].builds}.`,
  '',
  'App CPU µs per request, GET /read (the session read, nothing written):',
  '',
  `| session data (JSON) | ${VARIANTS.map((variant) => LABELS[variant]).join(' | ')} |`,
  `| --- | ${VARIANTS.map(() => '---').join(' | ')} |`,
  ...rows,
  '',
  `| session data | sessionkit cheaper than express-session, memory (their CPU / ours) | the same on Redis |${BASE ? ' new vs @base, memory (base CPU / new CPU) | new vs @base, Redis |' : ''}`,
  `| --- | --- | --- |${BASE ? ' --- | --- |' : ''}`,
  ...ratioRows,
  '',
].join('\n');
console.log(`\n${report}`);
writeFileSync(new URL('results-session-size.md', import.meta.url), report);
writeFileSync(new URL('session-size.svg', import.meta.url), chart(runs));

/** A line chart, written by hand: µs per request (y) against session KB (x, log scale), one line per variant. */
function chart(runs) {
  const width = 760;
  const height = 440;
  const left = 70;
  const right = 250;
  const top = 40;
  const bottom = 60;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const kbs = runs.map((run) => run.kb);
  const logMin = Math.log10(Math.min(...kbs));
  const logMax = Math.log10(Math.max(...kbs));
  const x = (kb) => left + (logMax === logMin ? plotW / 2 : ((Math.log10(kb) - logMin) / (logMax - logMin)) * plotW);
  const maxY = Math.max(...runs.flatMap((run) => VARIANTS.map((variant) => cpu(run, variant))));
  const step = niceStep(maxY / 5);
  const yMax = Math.ceil(maxY / step) * step;
  const y = (micros) => top + plotH - (micros / yMax) * plotH;
  const colors = ['#888888', '#1f77b4', '#9ecae1', '#d62728', '#2ca02c', '#a1d99b', '#ff7f0e'];
  const dashed = (variant) => (variant.includes('@base') ? ' stroke-dasharray="6 4"' : '');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold">App CPU per request against session size (Express, GET /read)</text>`,
  ];
  for (let value = 0; value <= yMax; value += step) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(value)}" y2="${y(value)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 8}" y="${y(value) + 4}" text-anchor="end">${fmt(value)}</text>`);
  }
  for (const kb of kbs) {
    parts.push(`<line x1="${x(kb)}" x2="${x(kb)}" y1="${top}" y2="${top + plotH}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x(kb)}" y="${top + plotH + 18}" text-anchor="middle">${kb} KB</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="black"/>`);
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="black"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 15}" text-anchor="middle">session data, KB of JSON (log scale)</text>`);
  parts.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">app CPU µs per request (median)</text>`);
  VARIANTS.forEach((variant, i) => {
    const points = runs.map((run) => `${x(run.kb).toFixed(1)},${y(cpu(run, variant)).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="2"${dashed(variant)} points="${points.join(' ')}"/>`);
    for (const point of points) {
      const [px, py] = point.split(',');
      parts.push(`<circle cx="${px}" cy="${py}" r="3" fill="${colors[i % colors.length]}"/>`);
    }
    const ly = top + 10 + i * 20;
    parts.push(`<line x1="${left + plotW + 20}" x2="${left + plotW + 45}" y1="${ly}" y2="${ly}" stroke="${colors[i % colors.length]}" stroke-width="2"${dashed(variant)}/>`);
    parts.push(`<text x="${left + plotW + 52}" y="${ly + 4}">${LABELS[variant]}</text>`);
  });
  parts.push(`<text x="${left}" y="${height - 2}" font-size="10" fill="#666">${escapeXml(`Node ${runs[0].node}; medians of ${runs[0].rounds} interleaved rounds of ${runs[0].duration} s; bench/session-size.mjs`)}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw);
}

function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
