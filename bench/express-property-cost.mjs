// What one property added to Express's req or res costs, on this machine and Node.
// Express gives every request and response its app's prototype (Object.setPrototypeOf in
// its init step); V8 then cannot reuse hidden classes for them, and every property a
// middleware adds (req.session, a res.end wrapper) takes its slow path. This is the floor
// under any Express session middleware: it must add req.session and hook the response
// (writeHead and end) to set its cookie and save before the response ends.
//
// Run: node bench/express-property-cost.mjs
import http from 'node:http';
import { Socket } from 'node:net';
import createApp from 'express';

const app = createApp();
const ITERATIONS = 100_000;

/** A request and response as Express hands them to middleware (or as plain node:http has them). */
function pair(withExpressPrototypes) {
  const req = new http.IncomingMessage(new Socket());
  const res = new http.ServerResponse(req);
  if (withExpressPrototypes) {
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
  }
  return [req, res];
}

const wrapper = () => undefined;
const cases = {
  'nothing added': () => {},
  'req.session': (req) => {
    req.session = {};
  },
  'req.session, res.writeHead, res.end': (req, res) => {
    req.session = {};
    res.writeHead = wrapper;
    res.end = wrapper;
  },
};

function time(withExpressPrototypes, add) {
  const run = (count) => {
    for (let i = 0; i < count; i++) {
      const [req, res] = pair(withExpressPrototypes);
      add(req, res);
    }
  };
  run(ITERATIONS / 5); // warm-up
  const started = process.hrtime.bigint();
  run(ITERATIONS);
  return Number(process.hrtime.bigint() - started) / ITERATIONS / 1000;
}

for (const withExpressPrototypes of [false, true]) {
  const label = withExpressPrototypes ? "Express's prototypes" : 'plain node:http objects';
  const base = time(withExpressPrototypes, cases['nothing added']);
  for (const [name, add] of Object.entries(cases)) {
    const micros = name === 'nothing added' ? base : time(withExpressPrototypes, add);
    console.log(`${label.padEnd(24)} ${name.padEnd(36)} ${micros.toFixed(2).padStart(6)} µs per request (+${(micros - base).toFixed(2)})`);
  }
}
