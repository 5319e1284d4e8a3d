import { resolve } from 'node:path';
import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const dataDir = resolve(process.env.DATA_DIR ?? 'data');
const secret = process.env.SESSION_SECRET ?? 'sessionkit-demo-secret-do-not-use-in-production';
if (!process.env.SESSION_SECRET) console.warn('[demo] SESSION_SECRET is not set: using a development secret. Set it in production.');

// How old a login may be before an order asks for it again; the browser test makes it short.
const reauthAfter = process.env.DEMO_REAUTH_AFTER ?? '5m';

const { app, close } = createApp({ dataDir, secret, reauthAfter });
const server = app.listen(port, () => {
  console.log(`sessionkit demo on http://localhost:${port} (sessions in ${dataDir}/sessions.db)`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => void close().then(() => process.exit(0)));
    server.closeAllConnections();
  });
}
