// One benchmark server per process: `node bench/server.mjs <variant>` prints "PORT <n>" when ready.
// Every variant serves the same three routes:
//   GET /login  starts a session holding a small, realistic payload
//   GET /read   reads the session and answers with the user's name (no write)
//   GET /write  increments a counter in the session (one store write)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';

const SECRET = 'bench-secret-0123456789abcdefghij';
const variant = process.argv[2];
const payload = () => ({ userId: 4711, name: 'ada', cart: ['apple', 'bread', 'cheese', 'dates', 'eggs'], counter: 0 });

async function sessionMiddleware() {
  switch (variant) {
    case 'none':
      return undefined;
    case 'sessionkit-memory':
    case 'sessionkit-sqlite': {
      const { sessionkit } = await import('../dist/express.js');
      const store =
        variant === 'sessionkit-memory'
          ? new (await import('../dist/stores/memory.js')).MemoryStore({ maxEntries: 100_000 })
          : new (await import('../dist/stores/sqlite.js')).SqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'bench-')), 's.db') });
      return sessionkit({ store, secret: SECRET });
    }
    case 'express-session-memory': {
      const { default: session } = await import('express-session');
      return session({ secret: SECRET, resave: false, saveUninitialized: false });
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

const app = express();
const middleware = await sessionMiddleware();
if (middleware) {
  app.use(middleware);
  app.get('/login', (req, res) => {
    Object.assign(req.session, payload());
    res.send('ok');
  });
  app.get('/read', (req, res) => res.send(`hello ${req.session.name}`));
  app.get('/write', (req, res) => {
    req.session.counter += 1;
    res.send(`count ${req.session.counter}`);
  });
} else {
  // The same work without sessions: the payload lives in a module-level object.
  const state = payload();
  app.get('/login', (_req, res) => res.send('ok'));
  app.get('/read', (_req, res) => res.send(`hello ${state.name}`));
  app.get('/write', (_req, res) => {
    state.counter += 1;
    res.send(`count ${state.counter}`);
  });
}

const server = app.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
// Exit through process.exit so that `node --cpu-prof` writes its profile.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
