/**
 * toConnectStore under the oldest express-session its peer range claims (1.17.0, package.json's
 * express-session-oldest alias) on the oldest Express 4 (4.16.4, the express4 alias): the
 * set-up of an older app moving its sessions over. A logged-in value survives a restart (a
 * second app on the same store), and after logout the same cookie is anonymous.
 */
import express from 'express4';
import session from 'express-session-oldest';
import { describe, expect, it } from 'vitest';
import { toConnectStore } from '../../src/connect/index.js';
import type { Store } from '../../src/core/store.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { CookieJar, listen } from '../helpers/http.js';

const SECRET = 'express-session-oldest-secret';

function loginApp(store: Store) {
  const app = express();
  app.use(session({ secret: SECRET, store: toConnectStore(store, { expressSession: session }), resave: false, saveUninitialized: false }));
  const data = (req: express.Request) => req.session as unknown as Record<string, unknown>;
  app.get('/login/:user', (req, res) => {
    data(req).user = req.params.user;
    res.send('ok');
  });
  app.get('/whoami', (req, res) => void res.send(typeof data(req).user === 'string' ? data(req).user : 'anonymous'));
  app.get('/logout', (req, res, next) => {
    req.session.destroy((error: unknown) => (error ? next(error) : res.send('bye')));
  });
  return app;
}

describe('toConnectStore under express-session 1.17.0 on Express 4.16.4 (the oldest claimed)', () => {
  it('a login survives a restart of the app, and after logout the same cookie is anonymous', async () => {
    const store = new MemoryStore();
    const jar = new CookieJar();
    const first = await listen(loginApp(store));
    try {
      expect(await (await jar.fetch(`${first.url}/login/dana`)).text()).toBe('ok');
      expect(await (await jar.fetch(`${first.url}/whoami`)).text()).toBe('dana');
    } finally {
      await first.close();
    }
    const second = await listen(loginApp(store));
    try {
      expect(await (await jar.fetch(`${second.url}/whoami`)).text()).toBe('dana');
      expect(await (await jar.fetch(`${second.url}/logout`)).text()).toBe('bye');
      expect(await (await jar.fetch(`${second.url}/whoami`)).text()).toBe('anonymous');
    } finally {
      await second.close();
    }
  });
});
