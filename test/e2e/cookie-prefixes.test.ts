/**
 * The __Host-Http- cookie prefix in a real browser: headless Chromium keeps the session
 * cookie sessionkit sets under that name on localhost and sends it back, so the session
 * lives on; and, the control that shows the prefix is enforced by this browser at all,
 * drops a cookie of that name set without HttpOnly (which sessionkit refuses to configure).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSession } from '../../src/adapters/node.js';
import { memoryStore } from '../../src/stores/memory.js';
import { binary, checkRequirements } from '../servers/require-binary.js';

declare module '../../src/core/session.js' {
  interface SessionData {
    visits?: number;
  }
}

const availability = checkRequirements('cookie prefixes in Chromium', [binary('chromium', 'apt-get install -y chromium', [CHROMIUM])]);

(availability.available ? describe : describe.skip)('__Host-Http- session cookie in headless Chromium', () => {
  let browser: Browser;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    const sessions = withSession({ store: memoryStore(), cookie: { name: '__Host-Http-sid', secure: true } }, (req, res, session) => {
      if (req.url === '/raw') {
        // What a misconfigured server would send: the prefix without HttpOnly; beside it the
        // same cookie without a prefix, which shows that only the prefix's rule drops the first.
        res.setHeader('Set-Cookie', ['__Host-Http-raw=1; Path=/; Secure; SameSite=Lax', 'unprefixed-raw=1; Path=/; Secure; SameSite=Lax']);
        res.end('raw');
        return;
      }
      if (req.url !== '/') {
        res.statusCode = 404;
        res.end();
        return;
      }
      session.visits = (session.visits ?? 0) + 1;
      res.end(String(session.visits));
    });
    server = http.createServer(sessions);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://localhost:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('keeps the session cookie sessionkit sets, HttpOnly and Secure, and sends it back', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`);
    expect(await page.textContent('body')).toBe('1');
    const cookie = (await context.cookies(base)).find((candidate) => candidate.name === '__Host-Http-sid');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, path: '/', domain: 'localhost' });
    await page.goto(`${base}/`);
    expect(await page.textContent('body')).toBe('2');
    // HttpOnly: no script of the page sees it.
    expect(await page.evaluate('document.cookie')).not.toContain('__Host-Http-sid');
    await context.close();
  });

  it('drops a cookie of that prefix set without HttpOnly: the browser enforces the prefix', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/raw`);
    expect(await page.textContent('body')).toBe('raw');
    const names = (await context.cookies(base)).map((candidate) => candidate.name);
    expect(names).toContain('unprefixed-raw');
    expect(names).not.toContain('__Host-Http-raw');
    await context.close();
  });
});
