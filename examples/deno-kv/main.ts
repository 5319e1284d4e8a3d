/**
 * Sessions on Deno: `Deno.serve` with sessionkit's Web adapter and a Deno KV store.
 *
 *     SESSION_SECRET=… deno run --allow-net --allow-read --allow-write --allow-env \
 *       --config examples/deno-kv/deno.json examples/deno-kv/main.ts sessions.db
 *
 * POST /login (form field `user`), GET /count, POST /logout. Sessions live in the KV file
 * named on the command line (or in Deno Deploy's KV with no argument), so they survive a
 * restart of the program.
 */
import { webSessions } from 'sessionkit/web';
import { DenoKvStore } from 'sessionkit/stores/deno-kv';

interface Visit {
  user?: string;
  count?: number;
}

const secret = Deno.env.get('SESSION_SECRET');
if (!secret) throw new Error('Set SESSION_SECRET to a long random string.');

const kv = await Deno.openKv(Deno.args[0]);
const sessions = webSessions<Visit>({ store: new DenoKvStore({ kv }), secret });

const json = (body: unknown, status = 200) => Response.json(body, { status });

const server = Deno.serve(
  { port: Number(Deno.env.get('PORT') ?? 8000), onListen: ({ port }) => console.log(`listening on port ${port}`) },
  sessions.handle(async (request, session) => {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/login') {
      const user = (await request.formData()).get('user');
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
);

// On SIGTERM, finish the requests in flight, then let go of the database.
Deno.addSignalListener('SIGTERM', async () => {
  await server.shutdown();
  kv.close();
});
