/** What the connect tests share: planting another application's session, and a slow-reading app. */
import express from 'express';
import { sessionkit } from '../../src/adapters/express.js';
import type { ConnectSession, ConnectStore } from '../../src/connect/connect-store.js';
import { ConnectStoreAdapter } from '../../src/connect/from-connect-store.js';
import type { Store } from '../../src/core/store.js';
import { callbackToPromise } from '../../src/connect/connect-store.js';
import { asText } from '../helpers/text.js';

export const quiet = { warn: () => {}, info: () => {} };
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An express-session session (as another application's express-session wrote it) under the id of `key`. */
export function plantExpressSession(connectStore: () => ConnectStore) {
  return async (key: string, store: Store): Promise<void> => {
    const session: ConnectSession & { user: string } = {
      cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString(), httpOnly: true, path: '/' },
      user: 'written by express-session',
    };
    if (!(store instanceof ConnectStoreAdapter)) throw new Error('plantExpressSession needs a store made by fromConnectStore()');
    const id = store.idFor(key);
    await callbackToPromise((cb) => connectStore().set(id, session, cb));
  };
}

/**
 * An app whose /slow-get/:ms reads the session, waits, then answers without changing it
 * (with touchAfter 0 its commit is a touch); /set/:value and /get as usual.
 */
export function touchingApp(store: Store): express.Express {
  const app = express();
  app.use(sessionkit({ store, secret: 'connect-touch-secret-0123456789', refreshEachRequest: true, touchAfter: 0, logger: quiet }));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  app.get('/set/:value', (req, res) => {
    data(req).value = req.params.value;
    res.send('ok');
  });
  app.get('/get', (req, res) => void res.send(asText(data(req).value ?? 'not set')));
  app.get('/slow-get/:ms', (req, res) => {
    const seen = asText(data(req).value ?? 'not set');
    setTimeout(() => res.send(seen), Number(req.params.ms));
  });
  return app;
}
