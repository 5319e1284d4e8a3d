// The codecs alone on one session payload, in one process: `node bench/codec.mjs [KB …]`
// (default 1, 10 and 100 KB of session data, bench/session-data.mjs).
// sessionkit's msgpack codec (this checkout's src/) beside @msgpack/msgpack (the codec up
// to 0.1, with the same extensions), msgpackr (records and structured clones off) and JSON.
// Each case runs alternately over several rounds and the median time per call is kept.
// CODEC_BASE=<another checkout's root> adds its codec's rows ("@base") to the same rounds.
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Packr, Unpackr } from 'msgpackr';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { sessionOfSize } from './session-data.mjs';

/** The msgpack codec of a checkout's src/, bundled on the fly (it is not an entry of dist/). */
async function bundleCodec(root) {
  const codecDir = join(root, 'src/codec');
  // The codec was one file, src/codec/msgpack.ts, before it had its folder.
  const entry = existsSync(join(codecDir, 'msgpack/index.ts')) ? './msgpack/index.ts' : './msgpack.ts';
  const outfile = join(mkdtempSync(join(tmpdir(), 'codec-bench-')), 'codec.mjs');
  await build({
    stdin: { contents: `export { msgpackCodec } from '${entry}'; export { EncodedValue } from './codec.ts';`, resolveDir: codecDir, loader: 'ts' },
    bundle: true,
    format: 'esm',
    outfile,
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}
const ours = await bundleCodec(fileURLToPath(new URL('..', import.meta.url)));
const base = process.env.CODEC_BASE ? await bundleCodec(process.env.CODEC_BASE) : undefined;
const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [1, 10, 100];
const ROUNDS = 7;

const encoder = new Encoder();
const decoder = new Decoder();
const packr = new Packr({ useRecords: false, structuredClone: false });
const unpackr = new Unpackr({ useRecords: false, structuredClone: false });
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Median µs per call of each case, the cases taking turns round after round. */
function measure(cases, budgetMs = 150) {
  const iterations = new Map();
  for (const [name, run] of Object.entries(cases)) {
    const started = performance.now();
    let count = 0;
    while (performance.now() - started < budgetMs / 3) (run(), count++);
    iterations.set(name, Math.max(10, Math.round((count * 3) / 2)));
  }
  const samples = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const n = iterations.get(name);
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) run();
      samples.set(name, [...(samples.get(name) ?? []), Number(process.hrtime.bigint() - started) / n / 1000]);
    }
  }
  return Object.fromEntries([...samples].map(([name, list]) => [name, median(list)]));
}

const builds = [['', ours], ...(base ? [[' @base', base]] : [])];
/** A case per build of sessionkit (this checkout's, then CODEC_BASE's), named `name`, then ` @base`. */
function forEachBuild(name, caseOf) {
  return Object.fromEntries(builds.map(([suffix, codec]) => [name + suffix, caseOf(codec)]));
}

/** The engine's unchanged check with unread fields left encoded: split, then write back. */
function lazyCheck({ msgpackCodec, EncodedValue }, encoded) {
  return () => {
    const outer = Object.fromEntries(msgpackCodec.decodeEntries(encoded).map(([key, bytes]) => [key, new EncodedValue(bytes)]));
    const data = Object.fromEntries(msgpackCodec.decodeEntries(outer.d.bytes).map(([key, bytes]) => [key, new EncodedValue(bytes)]));
    data.name = msgpackCodec.decode(data.name.bytes);
    return msgpackCodec.encodeTransient({ ...outer, d: data });
  };
}

const rows = [];
for (const kb of sizes) {
  const payload = { p: true, d: sessionOfSize(kb), t: 1764547200000 };
  const encoded = ours.msgpackCodec.encode(payload);
  const json = Buffer.from(JSON.stringify(payload));
  const theirs = encoder.encode(payload);
  if (!Buffer.from(encoded).equals(Buffer.from(theirs))) throw new Error('the codec wrote other bytes than @msgpack/msgpack');
  const times = measure({
    ...forEachBuild('decode: sessionkit', ({ msgpackCodec }) => () => msgpackCodec.decode(encoded)),
    'decode: @msgpack/msgpack': () => decoder.decode(theirs),
    'decode: msgpackr': () => unpackr.unpack(theirs),
    'decode: JSON.parse': () => JSON.parse(json.toString()),
    ...forEachBuild('encode: sessionkit (encodeTransient)', ({ msgpackCodec }) => () => msgpackCodec.encodeTransient(payload)),
    'encode: @msgpack/msgpack (encodeSharedRef)': () => encoder.encodeSharedRef(payload),
    'encode: msgpackr': () => packr.pack(payload),
    'encode: JSON.stringify': () => JSON.stringify(payload),
    ...forEachBuild('decodeEntries twice + one field decoded + encodeTransient of EncodedValues', (codec) => lazyCheck(codec, encoded)),
  });
  rows.push({ kb, bytes: { msgpack: encoded.length, json: json.length }, times });
}
const names = Object.keys(rows[0].times);
console.log(`Node ${process.version}, median of ${ROUNDS} alternating rounds; µs per call (payload bytes: ${rows.map((row) => `${row.kb} KB → msgpack ${row.bytes.msgpack}, JSON ${row.bytes.json}`).join('; ')})\n`);
console.log(`| case | ${rows.map((row) => `${row.kb} KB`).join(' | ')} |`);
console.log(`| --- | ${rows.map(() => '---').join(' | ')} |`);
for (const name of names) console.log(`| ${name} | ${rows.map((row) => row.times[name].toFixed(1)).join(' | ')} |`);
