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
const root = new URL('../..', import.meta.url).pathname;
const availability = checkRequirements('demo end-to-end', [binary('chromium', 'apt-get install -y chromium', [CHROMIUM])]);

async function startDemo(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, SESSION_SECRET: 'e2e-secret-0123456789abcdef' },
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

  it('logs in: the cookie is signed, HttpOnly, SameSite=Lax, for 31 days', async () => {
    await page.goto(`${base}/login`);
    await page.fill('#username', 'Ada <script>');
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
});
