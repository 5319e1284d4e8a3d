/**
 * The demo, end to end, in headless Chromium: a real browser against the real server
 * process, which is restarted in the middle to prove sessions live in SQLite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../servers/ports.js';
import { binary, checkRequirements } from '../servers/require-binary.js';

const CHROMIUM = '/usr/bin/chromium';
/** How old a login may be before an order asks for it again: short, so that the test can outwait it. */
const REAUTH_AFTER_MS = 5000;
const root = new URL('../..', import.meta.url).pathname;
const availability = checkRequirements('demo end-to-end', [binary('chromium', 'apt-get install -y chromium', [CHROMIUM])]);

async function startDemo(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, SESSION_SECRET: 'e2e-secret-0123456789abcdef', DEMO_REAUTH_AFTER: `${REAUTH_AFTER_MS}ms` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('sessionkit demo on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)));
  });
  return child;
}

async function stopDemo(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

(availability.available ? describe : describe.skip)('demo in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let demo: ChildProcess | undefined;
  let port: number;
  let dataDir: string;
  let base: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sessionkit-demo-'));
    port = await getFreePort();
    base = `http://localhost:${port}`;
    demo = await startDemo(port, dataDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext();
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopDemo(demo);
    if (process.env.KEEP_E2E_SCREENSHOT) console.log(`screenshot: ${join(dataDir, 'home.png')}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const sessionCookie = async () => (await context.cookies(base)).find((cookie) => cookie.name === 'session');

  it('logs in with remember-me: the cookie is signed, HttpOnly, SameSite=Lax, for 31 days', async () => {
    await page.goto(`${base}/login`);
    await page.fill('#username', 'Ada <script>');
    await page.check('#remember');
    await page.click('#login-button');
    await expect.poll(() => page.textContent('#greeting-user')).toBe('Ada <script>');
    expect(await page.textContent('#flash')).toBe('Welcome, Ada <script>');
    await page.screenshot({ path: join(dataDir, 'home.png') });
    const cookie = (await sessionCookie())!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.path).toBe('/');
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
    const days = (cookie.expires * 1000 - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(30.9);
    expect(days).toBeLessThan(31.1);
  });

  it('shows the flash message once', async () => {
    await page.goto(`${base}/`);
    // Shown by the page after login, then gone from the session.
    expect(await page.locator('#flash').count()).toBe(0);
  });

  it('counts and fills the cart', async () => {
    await page.click('#increment');
    await page.click('#increment');
    await expect.poll(() => page.textContent('#count')).toBe('2');
    await page.click('#add-cheese');
    await page.click('#add-apple');
    expect(await page.locator('#cart-items li').allTextContents()).toEqual([
      expect.stringContaining('cheese'),
      expect.stringContaining('apple'),
    ]);
  });

  it('the session page shows the shortened id and the expiry', async () => {
    await page.goto(`${base}/session`);
    const cookie = (await sessionCookie())!;
    expect(await page.textContent('#session-id')).toBe(`${cookie.value.slice(0, 8)}…`);
    const expiry = new Date((await page.textContent('#session-expiry'))!);
    expect(expiry.getTime()).toBeGreaterThan(Date.now() + 30 * 86_400_000);
    expect(await page.textContent('#session-user')).toBe('Ada <script>');
  });

  it('the login survives a restart of the server', async () => {
    await stopDemo(demo);
    demo = await startDemo(port, dataDir);
    await page.goto(`${base}/`);
    expect(await page.textContent('#greeting-user')).toBe('Ada <script>');
    expect(await page.textContent('#count')).toBe('2');
  });

  it('logout clears the session and the old cookie is worthless', async () => {
    const before = (await sessionCookie())!.value;
    await page.click('#logout-button');
    await expect.poll(() => page.textContent('#flash')).toBe('You have been logged out');
    expect(await page.locator('#logged-out').count()).toBe(1);
    expect((await sessionCookie())?.value).not.toBe(before);
    const replay = await fetch(`${base}/session`, { headers: { cookie: `session=${before}` } });
    expect(await replay.text()).toContain('<dd id="session-user">(nobody)</dd>');
  });

  describe('one user on several devices', () => {
    const devices: Record<string, { context: BrowserContext; page: Page }> = {};

    /** A browser of its own (cookies and all), known by its user agent. */
    async function device(userAgent: string) {
      const context = await browser.newContext({ userAgent });
      devices[userAgent] = { context, page: await context.newPage() };
      return devices[userAgent];
    }

    async function logIn(on: Page, name: string, remember: boolean) {
      await on.goto(`${base}/login`);
      await on.fill('#username', name);
      if (remember) await on.check('#remember');
      await on.click('#login-button');
      await expect.poll(() => on.textContent('#greeting-user')).toBe(name);
    }

    const agentsListed = (on: Page) => on.locator('#devices .agent').allTextContents();
    const isLoggedOut = async (on: Page) => {
      await on.goto(`${base}/`);
      return on.locator('#logged-out').count();
    };

    afterAll(async () => {
      for (const { context } of Object.values(devices)) await context.close();
    });

    it('without remember-me, the cookie ends with the browser', async () => {
      const laptop = await device('DemoLaptop/1.0 <b>');
      await logIn(laptop.page, 'Grace', false);
      const cookie = (await laptop.context.cookies(base)).find((c) => c.name === 'session')!;
      expect(cookie.expires).toBe(-1); // no Expires, no Max-Age: a browser-session cookie
    });

    it('the devices page lists both sessions with their user agents, this one marked', async () => {
      const phone = await device('DemoPhone/2.0');
      await logIn(phone.page, 'Grace', true);
      const laptop = devices['DemoLaptop/1.0 <b>']!.page;
      await laptop.click('#devices-link');
      expect((await agentsListed(laptop)).sort()).toEqual(['DemoLaptop/1.0 <b>', 'DemoPhone/2.0']);
      const current = laptop.locator('#devices .device', { has: laptop.locator('.current') });
      expect(await current.locator('.agent').textContent()).toBe('DemoLaptop/1.0 <b>');
      for (const shown of await laptop.locator('#devices .last-active').allTextContents()) {
        expect(Date.now() - new Date(shown).getTime()).toBeLessThan(60_000);
      }
    });

    it('ending the other device from this one logs it out', async () => {
      const laptop = devices['DemoLaptop/1.0 <b>']!.page;
      await laptop.click('#devices .end-device'); // the one device that is not this one
      await expect.poll(() => laptop.textContent('#flash')).toBe('That device is signed out.');
      expect(await agentsListed(laptop)).toEqual(['DemoLaptop/1.0 <b>']);
      expect(await isLoggedOut(devices['DemoPhone/2.0']!.page)).toBe(1);
      expect(await isLoggedOut(laptop)).toBe(0);
    });

    it('"sign out all other devices" ends every session of the user but this one', async () => {
      const phone = devices['DemoPhone/2.0']!.page;
      await logIn(phone, 'Grace', true);
      const tablet = await device('DemoTablet/3.0');
      await logIn(tablet.page, 'Grace', false);
      const laptop = devices['DemoLaptop/1.0 <b>']!.page;
      await laptop.goto(`${base}/devices`);
      expect(await agentsListed(laptop)).toHaveLength(3);
      await laptop.click('#end-others');
      await expect.poll(() => laptop.textContent('#flash')).toBe('Signed out 2 other devices.');
      expect(await agentsListed(laptop)).toEqual(['DemoLaptop/1.0 <b>']);
      expect(await isLoggedOut(phone)).toBe(1);
      expect(await isLoggedOut(tablet.page)).toBe(1);
    });

    it('an order on a recent login goes through; on an older one, the name again first', async () => {
      const laptop = await device('DemoDesktop/4.0');
      await logIn(laptop.page, 'Linus', false);
      const on = laptop.page;
      await on.click('#add-apple');
      await on.click('#place-order');
      await expect.poll(() => on.textContent('#flash')).toBe('Order placed: apple');

      await on.click('#add-bread');
      await new Promise((resolve) => setTimeout(resolve, REAUTH_AFTER_MS + 500));
      await on.click('#place-order');
      await expect.poll(() => on.locator('#reauth').count()).toBe(1);
      await on.fill('#confirm-name', 'Someone else'); // a wrong answer: asked again, nothing ordered
      await on.click('#confirm-button');
      await expect.poll(() => on.locator('#confirm-name').inputValue()).toBe('');
      expect(await on.locator('#reauth').count()).toBe(1);
      await on.fill('#confirm-name', 'Linus');
      await on.click('#confirm-button');
      await expect.poll(() => on.textContent('#flash')).toBe('Order placed: bread');
      expect(await on.locator('#cart-empty').count()).toBe(1);
    }, 60_000);
  });
});
