/**
 * Sessions on Cloudflare Workers: Hono with sessionkit's Hono adapter and the D1 store.
 *
 *     npx wrangler d1 create sessions        # put its id in wrangler.jsonc
 *     npx wrangler secret put SESSION_SECRET # a long random string
 *     npx wrangler deploy
 *
 * POST /login (form field `user`), GET /count, POST /logout. Sessions live in D1: the
 * table is created on first use, and an id regenerated at login and deleted at logout is
 * gone for every location at once (D1 is strongly consistent on its primary).
 * No compatibility flag: nothing here needs Node's APIs.
 */
import { Hono } from 'hono';
import { sessionkit, type SessionVariables } from 'sessionkit/hono';
import { d1Store, type D1DatabaseLike } from 'sessionkit/stores/d1';

interface Env {
  /** The D1 binding of wrangler.jsonc. */
  DB: D1DatabaseLike;
  SESSION_SECRET: string;
}

interface Visit {
  user?: string;
  count?: number;
}

type App = { Bindings: Env; Variables: SessionVariables<Visit> };

// Bindings and secrets arrive with the first request, not at module load: the app (its
// store and middleware) is made then, once, and serves every request after it.
function createApp(env: Env): Hono<App> {
  const app = new Hono<App>();
  app.use(sessionkit<Visit>({ store: d1Store({ database: env.DB }), secret: env.SESSION_SECRET }));
  app.post('/login', async (c) => {
    const user = (await c.req.parseBody()).user;
    if (typeof user !== 'string' || user === '') return c.json({ error: 'user is required' }, 400);
    const session = c.get('session');
    session.regenerate(); // a new id at login: an id seen before it is worthless after
    session.user = user;
    session.count = 0;
    return c.json({ user });
  });

  app.get('/count', (c) => {
    const session = c.get('session');
    if (!session.user) return c.json({ error: 'log in first' }, 401);
    session.count = (session.count ?? 0) + 1;
    return c.json({ user: session.user, count: session.count });
  });

  app.post('/logout', async (c) => {
    await c.get('session').destroy();
    return c.json({ loggedOut: true });
  });

  return app;
}

let app: Hono<App> | undefined;

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    app ??= createApp(env);
    return app.fetch(request, env);
  },
};
