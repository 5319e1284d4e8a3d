import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireFresh, withSession } from '../../src/adapters/node.js';
import type { SessionManager } from '../../src/engine/engine.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { CUSTOM_STALE_STATUS, customStaleText, describeAdapter, FRESH_MAX_AGE, getViaAccessor, sessionForm, setViaAccessor } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { listen } from '../helpers/http.js';
import { asText } from '../helpers/text.js';

/** A plain node:http app: no framework, just withSession around a handler. */
const freshOnly = (_req: unknown, res: ServerResponse) => res.end('fresh');
const fresh = requireFresh(FRESH_MAX_AGE, freshOnly);
const freshCustom = requireFresh(FRESH_MAX_AGE, freshOnly, { onStale: (_req, res, _session, outcome) => res.writeHead(CUSTOM_STALE_STATUS).end(customStaleText(outcome)) });

function build(options: SessionOptions | SessionManager) {
  const app = withSession(
    options,
    async (req, res, session) => {
      const url = new URL(req.url!, 'http://localhost');
      const data = session as unknown as Record<string, unknown>;
      const k = url.searchParams.get('k')!;
      const send = (body: string) => res.end(body);
      switch (url.pathname) {
        case '/set':
          data[k] = url.searchParams.get('v');
          return send('ok');
        case '/get':
          return send(asText(data[k] ?? 'not set'));
        case '/plain':
          return send('ok');
        case '/fresh':
          return fresh(req, res, session);
        case '/fresh-custom':
          return freshCustom(req, res, session);
        case '/regenerate':
          session.regenerate();
          return send('ok');
        case '/destroy':
          void session.destroy();
          return send('ok');
        case '/transient':
          session.permanent = false;
          data.t = '1';
          return send('ok');
        case '/stream':
          data.streamed = 'yes';
          res.write('one,');
          setTimeout(() => res.end('two'), 5);
          return;
        case '/redirect':
          data.r = '1';
          res.writeHead(302, { location: '/get?k=r' });
          return send('');
        case '/accessor':
          await Promise.resolve();
          setViaAccessor();
          return send(getViaAccessor());
        case '/form':
          return send(await sessionForm(options, () => session, { ...Object.fromEntries(url.searchParams), ...(req as { body?: object }).body }));
        default:
          res.statusCode = 404;
          return send('not found');
      }
    },
    (error, _req, res) => {
      res.statusCode = (error as { status?: number }).status ?? 500;
      res.end(`handled: ${(error as Error).message}`);
    },
  );
  return listen(withForm(app));
}

/**
 * What a node:http app does for HTML forms, which node:http leaves unparsed: an urlencoded
 * body read and parsed onto req.body before withSession, whose CSRF check reads req.body._csrf.
 */
function withForm(listener: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      listener(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      (req as IncomingMessage & { body?: unknown }).body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
      listener(req, res);
    });
  };
}

// The handler holds its session as an argument: regenerate(cb) empties it in place.
describeAdapter('node:http', async (options) => build(options), { regeneratesInPlace: true });
describeMultiSession('node:http', async (manager) => build(manager));
