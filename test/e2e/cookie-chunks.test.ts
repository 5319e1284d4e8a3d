/**
 * A sealed session past one cookie in a real browser (cookieStore({ chunk: true })): headless
 * Chromium keeps the chunks sessionkit sets and sends them all back, so a 10 KB session
 * survives a restart of the server (a new engine with the same secret: the data is all in
 * the cookies); when it shrinks, the chunks it no longer needs are gone from the browser.
 * And the limit itself, measured: Chromium counts a cookie's name and value against 4096
 * bytes, not its attributes, so sessionkit's chunks (whole Set-Cookie within 4096) are kept.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSession } from '../../src/adapters/node.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { binary, checkRequirements } from '../servers/require-binary.js';

declare module '../../src/core/session.js' {
  interface SessionData {
    big?: string;
  }
}

const SECRET = 'e2e-cookie-chunks-secret-0123456789abcdef';
const TEN_KB = Array.from({ length: 10_240 }, (_, index) => String.fromCharCode(97 + ((index * 7919) % 26))).join('');
const availability = checkRequirements('chunked sealed cookies in Chromium', [binary('chromium', 'apt-get install -y chromium', [CHROMIUM])]);

/** The app, as a fresh process would build it: a new engine, the same secret. */
function startServer(port = 0): Promise<http.Server> {
  const sessions = withSession({ store: cookieStore({ secret: SECRET, chunk: true, maxChunks: 4 }) }, (req, res, session) => {
    if (req.url === '/fill') session.big = TEN_KB;
    else if (req.url === '/shrink') session.big = 'small';
    else if (req.url === '/limit') {
      // name + value exactly 4096 bytes (the header with attributes is longer), and one byte more.
      res.setHeader('Set-Cookie', [`fits=${'f'.repeat(4092)}; Path=/; SameSite=Lax; Max-Age=600`, `over=${'o'.repeat(4093)}; Path=/; SameSite=Lax; Max-Age=600`]);
    }
    res.end(session.big === undefined ? 'none' : `${session.big.length}:${session.big === TEN_KB ? 'same' : session.big}`);
  });
  const server = http.createServer(sessions);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

const stop = (server: http.Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

(availability.available ? describe : describe.skip)('chunked sealed session in headless Chromium', () => {
  let browser: Browser;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = await startServer();
    base = `http://localhost:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await stop(server);
  });

  it('a 10 KB session in four chunks survives a server restart, and shrinking removes the chunks', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/fill`);
    expect(await page.textContent('body')).toBe('10240:same');
    const cookies = await context.cookies(base);
    expect(cookies.map((cookie) => cookie.name).sort()).toEqual(['session.0', 'session.1', 'session.2', 'session.3']);
    for (const cookie of cookies) expect(cookie).toMatchObject({ httpOnly: true, path: '/', sameSite: 'Lax' });

    // The server restarts on the same port: nothing of the session was kept in it.
    const port = (server.address() as AddressInfo).port;
    await stop(server);
    server = await startServer(port);
    await page.goto(`${base}/`);
    expect(await page.textContent('body')).toBe('10240:same');

    await page.goto(`${base}/shrink`);
    expect(await page.textContent('body')).toBe('5:small');
    expect((await context.cookies(base)).map((cookie) => cookie.name)).toEqual(['session']);
    await page.goto(`${base}/`);
    expect(await page.textContent('body')).toBe('5:small');
    await context.close();
  });

  it('counts name and value against 4096 bytes: keeps exactly 4096, drops 4097', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/limit`);
    const names = (await context.cookies(base)).map((cookie) => cookie.name);
    expect(names).toContain('fits');
    expect(names).not.toContain('over');
    await context.close();
  });
});
