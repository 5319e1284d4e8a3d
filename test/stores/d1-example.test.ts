/**
 * examples/workers-d1: the Hono Worker bundled from the sources with esbuild, run in
 * workerd (miniflare) with its wrangler.jsonc's compatibility date, flags (none) and D1
 * binding, and driven over HTTP on workerd's own loopback socket: login, the counter,
 * a new id at login, logout, each checked in the D1 table as well.
 */
import { readFileSync } from 'node:fs';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../helpers/http.js';
import { bundleWorker, startMiniflare } from '../helpers/miniflare.js';

interface WranglerConfig {
  compatibility_date: string;
  compatibility_flags: string[];
  d1_databases: { binding: string }[];
}

/** wrangler.jsonc without its comments (none of its strings holds `//`). */
const wrangler = JSON.parse(readFileSync('examples/workers-d1/wrangler.jsonc', 'utf8').replace(/^\s*\/\/.*$|\s\/\/.*$/gm, '')) as WranglerConfig;
const binding = wrangler.d1_databases[0]!.binding;

let mf: Miniflare;
let base: URL;
let inputs: readonly string[];
beforeAll(async () => {
  const bundle = await bundleWorker('examples/workers-d1/worker.ts');
  inputs = bundle.inputs;
  mf = await startMiniflare({
    modules: bundle.modules,
    compatibilityDate: wrangler.compatibility_date,
    compatibilityFlags: wrangler.compatibility_flags,
    d1Databases: [binding],
    bindings: { SESSION_SECRET: 'the example secret, at least thirty-two characters long' },
  });
  base = await mf.ready;
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
});

const url = (path: string) => new URL(path, base).href;
const login = (jar: CookieJar, user: string) => jar.fetch(url('/login'), { method: 'POST', body: new URLSearchParams({ user }) });
const count = async (jar: CookieJar) => {
  const response = await jar.fetch(url('/count'));
  return { status: response.status, body: (await response.json()) as { user?: string; count?: number } };
};
const rows = async () => {
  const db = await mf.getD1Database(binding);
  return (await db.prepare('SELECT COUNT(*) AS n FROM sessions WHERE expires_at > ?').bind(Date.now()).first<{ n: number }>())?.n;
};

describe('examples/workers-d1 in workerd', () => {
  it('is built from the sources, and runs with no compatibility flag', () => {
    expect(wrangler.compatibility_flags).toEqual([]);
    expect(inputs).toContain('src/stores/d1/index.ts');
    expect(inputs).toContain('src/adapters/hono.ts');
  });

  it('logs in, counts, and keeps the session in D1', async () => {
    const jar = new CookieJar();
    expect((await count(jar)).status).toBe(401);
    const response = await login(jar, 'ada');
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().join()).toMatch(/HttpOnly/i);
    expect(await count(jar)).toEqual({ status: 200, body: { user: 'ada', count: 1 } });
    expect(await count(jar)).toEqual({ status: 200, body: { user: 'ada', count: 2 } });
    expect(await rows()).toBeGreaterThanOrEqual(1);
  });

  it('gives the session a new id at login: the cookie from before it no longer works', async () => {
    const jar = new CookieJar();
    await login(jar, 'ada');
    const before = jar.header()!;
    await login(jar, 'grace');
    expect(jar.header()).not.toBe(before);
    expect((await count(jar)).body).toEqual({ user: 'grace', count: 1 });
    const old = await fetch(url('/count'), { headers: { cookie: before } });
    expect(old.status).toBe(401);
  });

  it('logs out: the row is deleted and the cookie cleared', async () => {
    const jar = new CookieJar();
    await login(jar, 'ada');
    await count(jar);
    const cookie = jar.header()!;
    const live = await rows();
    const response = await jar.fetch(url('/logout'), { method: 'POST' });
    expect(await response.json()).toEqual({ loggedOut: true });
    expect(await rows()).toBe(live! - 1);
    expect(jar.header()).toBeUndefined();
    expect((await fetch(url('/count'), { headers: { cookie } })).status).toBe(401);
  });

  it('answers a login without a user with 400, writing nothing', async () => {
    const live = await rows();
    const response = await new CookieJar().fetch(url('/login'), { method: 'POST', body: new URLSearchParams({}) });
    expect(response.status).toBe(400);
    expect(await rows()).toBe(live);
  });
});
