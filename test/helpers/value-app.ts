import express from 'express';
import { sessionkit } from '../../src/adapters/express.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { asText } from './text.js';

/**
 * The Express app the store tests drive: one session field, `value`.
 * GET /set/:value stores it, GET /get answers it ('not set' when absent), and an error
 * (a store failure) answers 500 with its message.
 */
export function valueApp(options: SessionOptions): express.Express {
  const app = express();
  app.use(sessionkit(options));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  app.get('/set/:value', (req, res) => {
    data(req).value = req.params.value;
    res.send('ok');
  });
  app.get('/get', (req, res) => void res.send(asText(data(req).value ?? 'not set')));
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error instanceof Error ? error.message : String(error));
  });
  return app;
}
