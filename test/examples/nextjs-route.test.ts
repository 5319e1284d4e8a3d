/**
 * The Next.js route handler of docs/frameworks.md (examples/nextjs/app/api/cart/route.ts), called the
 * way Next.js calls a route handler: its exported POST and GET with Web `Request`s, the
 * cookie carried from one response to the next request. Next.js itself is not installed
 * here; what the handler does with the request and the response is all sessionkit's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-nextjs-'));
/** What Next.js calls: the module's exported handlers. */
interface Route {
  POST(request: Request): Promise<Response>;
  GET(request: Request): Promise<Response>;
}
// A URL, not a literal import: the example is type-checked by its own tsconfig (examples/nextjs),
// against the sources, and loads `sessionkit/web` as an application does.
const ROUTE = new URL('../../examples/nextjs/app/api/cart/route.ts', import.meta.url).href;
let route: Route;

beforeAll(async () => {
  process.env.SESSIONS_DB = join(dir, 'sessions.db');
  process.env.SESSION_SECRET = 'nextjs-example-secret-0123456789abcdef';
  route = (await import(/* @vite-ignore */ ROUTE)) as Route;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const post = (item: string, cookie?: string) =>
  route.POST(new Request('https://shop.example/api/cart', { method: 'POST', body: JSON.stringify({ item }), headers: cookie ? { cookie } : {} }));

describe('the Next.js route handler example', () => {
  it('keeps a cart across requests in the SQLite file, with a signed HttpOnly cookie and Vary: Cookie', async () => {
    const first = await post('apple');
    expect(await first.json()).toEqual({ cart: ['apple'] });
    const setCookie = first.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^session=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(first.headers.get('vary')).toBe('Cookie');
    const cookie = setCookie.split(';')[0]!;

    expect(await (await post('pear', cookie)).json()).toEqual({ cart: ['apple', 'pear'] });
    const read = await route.GET(new Request('https://shop.example/api/cart', { headers: { cookie } }));
    expect(await read.json()).toEqual({ cart: ['apple', 'pear'] });
    expect(read.headers.get('set-cookie')).toBeNull(); // nothing changed: no cookie, no write
  });

  it('a forged cookie is a fresh, empty cart', async () => {
    const forged = await route.GET(new Request('https://shop.example/api/cart', { headers: { cookie: 'session=forged.value' } }));
    expect(forged.status).toBe(200);
    expect(await forged.json()).toEqual({ cart: [] });
  });
});
