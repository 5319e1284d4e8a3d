import express5 from 'express';
import express4 from 'express4';
import { sessionkit } from '../../src/adapters/express.js';
import type { SessionManager } from '../../src/core/engine.js';
import type { SessionOptions } from '../../src/core/options.js';
import { describeAdapter, getViaAccessor, setViaAccessor } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { listen } from '../helpers/http.js';

function build(express: typeof express5) {
  return (options: SessionOptions | SessionManager) => {
    const app = express();
    app.use(sessionkit(options));
    const data = (req: express5.Request) => req.session as unknown as Record<string, unknown>;
    app.get('/set', (req, res) => {
      data(req)[String(req.query.k)] = String(req.query.v);
      res.send('ok');
    });
    app.get('/get', (req, res) => void res.send(String(data(req)[String(req.query.k)] ?? 'not set')));
    app.get('/plain', (_req, res) => void res.send('ok'));
    app.get('/regenerate', (req, res) => {
      req.session.regenerate();
      res.send('ok');
    });
    app.get('/destroy', (req, res) => {
      req.session.destroy();
      res.send('ok');
    });
    app.get('/transient', (req, res) => {
      req.session.permanent = false;
      data(req).t = '1';
      res.send('ok');
    });
    app.get('/stream', (req, res) => {
      data(req).streamed = 'yes';
      res.write('one,');
      setTimeout(() => res.end('two'), 5);
    });
    app.get('/redirect', (req, res) => {
      data(req).r = '1';
      res.redirect(302, '/get?k=r');
    });
    app.get('/accessor', async (_req, res) => {
      await Promise.resolve();
      setViaAccessor();
      res.send(getViaAccessor());
    });
    app.use((error: Error, _req: express5.Request, res: express5.Response, _next: express5.NextFunction) => {
      res.status(500).send(`handled: ${error.message}`);
    });
    return listen(app);
  };
}

describeAdapter('Express 5', build(express5));
describeAdapter('Express 4', build(express4 as unknown as typeof express5));
describeMultiSession('Express 5', build(express5));
describeMultiSession('Express 4', build(express4 as unknown as typeof express5));
