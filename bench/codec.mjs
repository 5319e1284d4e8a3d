// The codecs alone on one session payload, in one process: `node bench/codec.mjs [KB …]`
// (default 1, 10 and 100 KB of session data, bench/session-data.mjs).
// sessionkit's msgpack codec (this checkout's src/) beside @msgpack/msgpack (the codec up
// to 0.1, with the same extensions), msgpackr (records and structured clones off) and JSON.
// Each case runs alternately over several rounds and the median time per call is kept.
import { Decoder, Encoder } from '@msgpack/msgpack';
import { Packr, Unpackr } from 'msgpackr';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { sessionOfSize } from './session-data.mjs';

// The codec from src/, bundled on the fly (it is not an entry of dist/).
const bundle = join(mkdtempSync(join(tmpdir(), 'codec-bench-')), 'codec.mjs');
await build({
  stdin: { contents: "export { msgpackCodec } from './msgpack/index.ts'; export { EncodedValue } from './codec.ts';", resolveDir: fileURLToPath(new URL('../src/codec/', import.meta.url)), loader: 'ts' },
  bundle: true,
  format: 'esm',
  outfile: bundle,
  logLevel: 'warning',
});
const { msgpackCodec, EncodedValue } = await import(pathToFileURL(bundle).href);
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

const rows = [];
for (const kb of sizes) {
  const payload = { p: true, d: sessionOfSize(kb), t: 1764547200000 };
  const ours = msgpackCodec.encode(payload);
  const json = Buffer.from(JSON.stringify(payload));
  const theirs = encoder.encode(payload);
  if (!Buffer.from(ours).equals(Buffer.from(theirs))) throw new Error('the codec wrote other bytes than @msgpack/msgpack');
  // The engine's unchanged check with unread fields left encoded: split, then write back.
  const lazy = () => {
    const outer = Object.fromEntries(msgpackCodec.decodeEntries(ours).map(([key, bytes]) => [key, new EncodedValue(bytes)]));
    const data = Object.fromEntries(msgpackCodec.decodeEntries(outer.d.bytes).map(([key, bytes]) => [key, new EncodedValue(bytes)]));
    data.name = msgpackCodec.decode(data.name.bytes);
    return msgpackCodec.encodeTransient({ ...outer, d: data });
  };
  const times = measure({
    'decode: sessionkit': () => msgpackCodec.decode(ours),
    'decode: @msgpack/msgpack': () => decoder.decode(theirs),
    'decode: msgpackr': () => unpackr.unpack(theirs),
    'decode: JSON.parse': () => JSON.parse(json.toString()),
    'encode: sessionkit (encodeTransient)': () => msgpackCodec.encodeTransient(payload),
    'encode: @msgpack/msgpack (encodeSharedRef)': () => encoder.encodeSharedRef(payload),
    'encode: msgpackr': () => packr.pack(payload),
    'encode: JSON.stringify': () => JSON.stringify(payload),
    'decodeEntries twice + one field decoded + encodeTransient of EncodedValues': lazy,
  });
  rows.push({ kb, bytes: { msgpack: ours.length, json: json.length }, times });
}
const names = Object.keys(rows[0].times);
console.log(`Node ${process.version}, median of ${ROUNDS} alternating rounds; µs per call (payload bytes: ${rows.map((row) => `${row.kb} KB → msgpack ${row.bytes.msgpack}, JSON ${row.bytes.json}`).join('; ')})\n`);
console.log(`| case | ${rows.map((row) => `${row.kb} KB`).join(' | ')} |`);
console.log(`| --- | ${rows.map(() => '---').join(' | ')} |`);
for (const name of names) console.log(`| ${name} | ${rows.map((row) => row.times[name].toFixed(1)).join(' | ')} |`);
