// Many writers on one session: how many requests fail. An Express server on a RedisStore (one
// process) and autocannon with N connections, all sending the cookie of ONE session, each
// request incrementing a counter in it. Prints the answers by status and the session at the end.
//   npx tsx bench/contention.mjs [--connections 20] [--requests 6000 | --duration <seconds>]
//                                [--retries <maxConflictRetries>] [--src <a checkout's src/>]
// --src measures another checkout's sources (e.g. /work/main/src) in the same setting.
// The server runs in a child process, so the load generator does not share its event loop.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '20' },
    requests: { type: 'string', default: '6000' },
    duration: { type: 'string' },
    retries: { type: 'string' },
    src: { type: 'string', default: fileURLToPath(new URL('../src/', import.meta.url)) },
    serve: { type: 'string' },
  },
});

if (args.serve) await serve(args.serve);
else await measure();

/** The child: an Express app on a RedisStore at `redisUrl`; prints "PORT <n>" once listening. */
async function serve(redisUrl) {
  const from = (path) => import(pathToFileURL(`${args.src.replace(/\/?$/, '/')}${path}`).href);
  const [{ default: express }, { createClient }, { sessionkit }, { RedisStore }] = await Promise.all([
    import('express'),
    import('redis'),
    from('adapters/express.ts'),
    from('stores/redis/index.ts'),
  ]);
  const client = createClient({ url: redisUrl });
  client.on('error', () => {});
  await client.connect();
  const retries = args.retries === undefined ? undefined : Number(args.retries);
  const app = express();
  const failures = new Map();
  app.use(sessionkit({ store: new RedisStore({ client }), secret: 'contention-secret-0123456789', maxConflictRetries: retries, logger: { warn() {}, info() {} } }));
  app.get('/increment', (req, res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.send('ok');
  });
  app.get('/count', (req, res) => res.json({ count: req.session.count ?? 0, failures: Object.fromEntries(failures) }));
  // Express knows an error handler by its four parameters, used or not.
  // eslint-disable-next-line no-unused-vars
  app.use((error, _req, res, _next) => {
    failures.set(error.message, (failures.get(error.message) ?? 0) + 1);
    res.status(500).send(error.message);
  });
  const server = app.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
}

async function measure() {
  const [{ default: autocannon }, { startRedis }] = await Promise.all([
    import('autocannon'),
    import('../test/servers/redis.ts'),
  ]);
  const redis = await startRedis();
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', redis.url, ...process.argv.slice(2)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = await once(child.stdout, 'data');
    const port = /PORT (\d+)/.exec(String(line))[1];
    const url = `http://127.0.0.1:${port}`;
    const first = await fetch(`${url}/increment`);
    const cookie = first.headers.get('set-cookie').split(';')[0];
    const connections = Number(args.connections);
    const load = args.duration === undefined ? { amount: Number(args.requests) } : { duration: Number(args.duration) };
    const result = await autocannon({ url: `${url}/increment`, connections, headers: { cookie }, ...load });
    const session = await (await fetch(`${url}/count`, { headers: { cookie } })).json();
    const sent = result.requests.total;
    const failed = result.non2xx + result.errors + result.timeouts;
    console.log(
      JSON.stringify(
        {
          src: args.src,
          connections,
          ...load,
          maxConflictRetries: args.retries === undefined ? 'default (10)' : Number(args.retries),
          requests: sent,
          ok: result['2xx'],
          failed,
          failureRate: `${((100 * failed) / sent).toFixed(3)} %`,
          requestsPerSecond: Math.round(result.requests.average),
          latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
          finalCount: session.count,
          errors: session.failures,
        },
        null,
        2,
      ),
    );
  } finally {
    child.kill();
    await redis.stop();
  }
}
