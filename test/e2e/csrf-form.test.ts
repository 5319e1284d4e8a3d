/**
 * CSRF tokens with real forms in headless Chromium: the site's own form, which carries the
 * session's token in a hidden field, is accepted; a form another origin's page submits to
 * the same action is refused with 403.
 *
 * Why the attacker's page is on the same host with another port (localhost:B posting to
 * localhost:A): that is another origin but the same site, so the browser sends the
 * SameSite=Lax session cookie with its POST (a page on another site would get no cookie at
 * all, and SameSite alone would refuse it: the test would prove nothing about the token).
 * Sibling apps on one domain, or a subdomain under an attacker's control, are exactly that
 * case. The server records that the forged POST came with the victim's live session, so
 * what refuses it is the missing token, not a missing cookie.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { memoryStore } from '../../src/stores/memory.js';
import { binary, checkRequirements } from '../servers/require-binary.js';

const availability = checkRequirements('CSRF forms in Chromium', [binary('chromium', 'apt-get install -y chromium', [CHROMIUM])]);

async function serve(app: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://localhost:${(server.address() as AddressInfo).port}` };
}

(availability.available ? describe : describe.skip)('CSRF tokens with real forms in headless Chromium', () => {
  let browser: Browser;
  let site: { server: http.Server; url: string };
  let attacker: { server: http.Server; url: string };
  /** Each POST /transfer as the site saw it: whether it came with a live session, and the answer. */
  const posts: { withSession: boolean; status: number }[] = [];

  beforeAll(async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false })); // before sessionkit: the _csrf field is read from req.body
    app.use(sessionkit({ store: memoryStore(), secret: 'csrf-e2e-secret-0123456789abcdef', csrf: true }));
    app.get('/', (req, res) => {
      req.session.user = 'ada';
      res.send(`<form method="post" action="/transfer"><input type="hidden" name="_csrf" value="${req.csrfToken()}">
        <input name="amount" value="10"><button id="send">Send</button></form>`);
    });
    app.post('/transfer', (req, res) => {
      posts.push({ withSession: !req.session.isNew, status: 200 });
      res.send(`sent ${String((req.body as { amount?: string }).amount)}`);
    });
    app.use((error: Error & { status?: number }, req: Request, res: Response, _next: NextFunction) => {
      posts.push({ withSession: !req.session.isNew, status: error.status ?? 500 });
      res.status(error.status ?? 500).send(error.name);
    });
    site = await serve(app);
    attacker = await serve((_req, res) => {
      // Submits itself on load, as a forged form does.
      res.setHeader('content-type', 'text/html');
      res.end(`<form id="forged" method="post" action="${site.url}/transfer"><input name="amount" value="1000000"></form>
        <script>document.getElementById('forged').submit()</script>`);
    });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([site, attacker].map((running) => running && new Promise((resolve) => running.server.close(resolve))));
  });

  it("accepts the site's own form, which carries the token", async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/`);
    await Promise.all([page.waitForURL(`${site.url}/transfer`), page.click('#send')]);
    expect(await page.textContent('body')).toBe('sent 10');
    expect(posts.at(-1)).toEqual({ withSession: true, status: 200 });
    await page.close();
  });

  it("refuses a form another origin's page submits, though the browser sent the session cookie with it", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${site.url}/`); // the victim has a session on the site
    const response = page.waitForResponse(`${site.url}/transfer`);
    await page.goto(`${attacker.url}/`);
    expect((await response).status()).toBe(403);
    expect(await (await response).text()).toBe('CsrfError');
    expect(posts.at(-1)).toEqual({ withSession: true, status: 403 });
    await context.close();
  });
});
