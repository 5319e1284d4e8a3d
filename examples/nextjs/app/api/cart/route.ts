// A Next.js route handler (app/api/cart/route.ts): sessions through the Web adapter.
import { webSessions } from 'sessionkit/web';
import { sqliteStore } from 'sessionkit/stores/sqlite';

interface Cart {
  cart?: string[];
}

const { loadSession, commitSession } = webSessions<Cart>({
  store: sqliteStore({ path: process.env.SESSIONS_DB ?? './data/sessions.db' }),
  secret: process.env.SESSION_SECRET!,
});

export async function POST(request: Request) {
  const session = await loadSession(request);
  const { item } = (await request.json()) as { item: string };
  (session.cart ??= []).push(item);
  const headers = new Headers({ 'content-type': 'application/json' });
  await commitSession(session, headers); // saves, then adds Set-Cookie and Vary
  return new Response(JSON.stringify({ cart: session.cart }), { headers });
}

export async function GET(request: Request) {
  const session = await loadSession(request);
  const headers = new Headers({ 'content-type': 'application/json' });
  await commitSession(session, headers);
  return new Response(JSON.stringify({ cart: session.cart ?? [] }), { headers });
}
