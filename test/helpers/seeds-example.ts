import express from 'express';
import { sessionkit } from '../../src/adapters/express.js';
import type { Logger } from '../../src/core/logger.js';
import { multiSession, type MultiSessionEntry } from '../../src/compose/multi-session.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { listen, type TestServer } from './http.js';

/**
 * The seeds' SESSION_CONFIG example (flask-session-plus): a sealed 'csrf' cookie holding
 * csrf_token, the 'session' entry (given: Redis, Firestore, …) keeping user_id and
 * user_data, and a sealed 'data' cookie taking every other field.
 */
export function seedsExample(secret: string, session: Omit<MultiSessionEntry, 'cookie' | 'fields'>): MultiSessionEntry[] {
  return [
    { cookie: { name: 'csrf' }, store: cookieStore({ secret }), fields: ['csrf_token'] },
    { cookie: { name: 'session' }, ...session, fields: ['user_id', 'user_data'] },
    { cookie: { name: 'data' }, store: cookieStore({ secret }), fields: 'auto' },
  ];
}

/**
 * The Express app the seed's example is driven through:
 *   GET /set/:field/:value   GET /login/:user   GET /all   GET /regenerate   GET /destroy
 * Store failures answer 500 with their message.
 */
export function seedsExampleApp(sessions: MultiSessionEntry[], logger: Logger): Promise<TestServer> {
  const application = express();
  application.use(sessionkit(multiSession({ sessions, logger })));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  application.get('/set/:field/:value', (req, res) => {
    data(req)[req.params.field] = req.params.value;
    res.send('ok');
  });
  application.get('/login/:user', (req, res) => {
    req.session.regenerate();
    data(req).user_id = req.params.user;
    data(req).user_data = { name: 'Ada Lovelace', roles: ['admin'] };
    res.send('ok');
  });
  application.get('/all', (req, res) => void res.json({ ...data(req) }));
  application.get('/regenerate', (req, res) => {
    req.session.regenerate();
    res.send('ok');
  });
  application.get('/destroy', (req, res) => {
    void req.session.destroy();
    res.send('ok');
  });
  application.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).send(error.message);
  });
  return listen(application);
}
