/**
 * Sessions on Bun: `Bun.serve` with sessionkit's Web adapter and the SQLite store, which
 * under Bun opens its file with the built-in bun:sqlite (nothing to install, no native build).
 *
 *     SESSION_SECRET=… bun examples/bun-sqlite/server.ts ./data/sessions.db
 *
 * POST /login (form field `user`), GET /count, POST /logout. Sessions live in the SQLite
 * file named on the command line, so they survive a restart of the program.
 */
import { webSessions } from 'sessionkit/web';
import { sqliteStore } from 'sessionkit/stores/sqlite';

// The members of Bun's global used here (an application would have them from @types/bun).
declare const Bun: {
  serve(options: { port: number; fetch: (request: Request) => Promise<Response> }): { readonly port: number; stop(): Promise<void> };
};

interface Visit {
  user?: string;
  count?: number;
}

const secret = process.env.SESSION_SECRET;
if (!secret) throw new Error('Set SESSION_SECRET to a long random string.');

const store = sqliteStore({ path: process.argv[2] ?? './data/sessions.db' });
const sessions = webSessions<Visit>({ store, secret });

const json = (body: unknown, status = 200) => Response.json(body, { status });

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  fetch: sessions.handle(async (request, session) => {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/login') {
      const user = new URLSearchParams(await request.text()).get('user');
      if (typeof user !== 'string' || user === '') return json({ error: 'user is required' }, 400);
      session.regenerate(); // a new id at login: an id seen before it is worthless after
      session.user = user;
      session.count = 0;
      return json({ user });
    }
    if (pathname === '/count') {
      if (!session.user) return json({ error: 'log in first' }, 401);
      session.count = (session.count ?? 0) + 1;
      return json({ user: session.user, count: session.count });
    }
    if (request.method === 'POST' && pathname === '/logout') {
      await session.destroy();
      return json({ user: null });
    }
    return json({ error: 'not found' }, 404);
  }),
});
console.log(`listening on port ${server.port} (sessions in ${store.driver})`);

// On SIGTERM, finish the requests in flight, then let go of the database.
process.on('SIGTERM', () => {
  void server.stop().then(() => store.close());
});
