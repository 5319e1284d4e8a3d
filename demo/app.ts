import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Request } from 'express';
import { sessionkit } from '../src/adapters/express.js';
import { sqliteStore } from '../src/stores/sqlite/index.js';
import { addAccountRoutes } from './account.js';
import { escapeHtml, page } from './views.js';

declare module '../src/engine/session.js' {
  interface SessionData {
    user: string;
    counter: number;
    cart: string[];
    /** The browser's User-Agent at login: what the devices page shows of each session. */
    agent: string;
  }
}

/** The fixed catalogue of the demo shop. */
export const CATALOGUE = ['apple', 'bread', 'cheese', 'dates'] as const;

/**
 * The fields of the demo's forms as express.urlencoded({ extended: false }) parses them:
 * whatever the client sent (a field may be missing, or repeated), so each is checked where it is read.
 */
type FormField = string | string[] | undefined;
interface FormBody {
  username?: FormField;
  item?: FormField;
  index?: FormField;
  remember?: FormField;
  handle?: FormField;
  confirmName?: FormField;
}

/** The parsed form of a POST (undefined when the request had no urlencoded body). */
const form = (req: Request) => req.body as FormBody | undefined;

export interface DemoOptions {
  /** Where the SQLite database lives (created if missing). */
  dataDir: string;
  secret: string;
  /** How old a login may be before placing an order asks for it again. @default '5m' */
  reauthAfter?: string;
}

/** A single-valued form field as a string; '' when missing or repeated. */
const formField = (req: Request, name: keyof FormBody) => {
  const value = form(req)?.[name];
  return typeof value === 'string' ? value : '';
};

/**
 * The demo: log in (with remember-me) and out, a counter, a shopping cart, a flash message,
 * a page that shows the session itself, the user's devices and an order that asks for a
 * recent login, on the embedded SQLite store.
 */
export function createApp(options: DemoOptions) {
  mkdirSync(options.dataDir, { recursive: true });
  const store = sqliteStore({ path: join(options.dataDir, 'sessions.db') });
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  // userField indexes each user's sessions (the devices page); freshness records each login's time (the order's guard).
  const sessions = sessionkit({ store, secret: options.secret, userField: 'user', listedFields: ['agent'], freshness: true });
  app.use(sessions);

  /** Reads the flash message once: shown on this page, gone from the session. */
  const context = (req: Request) => ({ user: req.session.user, flash: req.flash('info').join(' ') || undefined });

  app.get('/', (req, res) => {
    const ctx = context(req);
    const cart = req.session.cart ?? [];
    const greeting = ctx.user
      ? `<h1>Hello, <span id="greeting-user">${escapeHtml(ctx.user)}</span></h1>`
      : '<h1>Welcome</h1><p id="logged-out">You are not logged in. <a href="/login">Log in</a> to try a session that survives restarts.</p>';
    const catalogue = CATALOGUE.map(
      (item) => `<form method="post" action="/cart/add"><input type="hidden" name="item" value="${item}">
        <button id="add-${item}" class="secondary">Add ${item}</button></form>`,
    ).join(' ');
    const items = cart.map(
      (item, index) => `<li>${escapeHtml(item)} <form method="post" action="/cart/remove"><input type="hidden" name="index" value="${index}">
        <button class="secondary" id="remove-${index}">Remove</button></form></li>`,
    );
    res.send(
      page('Home', ctx, `<section>${greeting}</section>
      <section><h2>Counter</h2><div class="row"><span>Count: <b id="count">${req.session.counter ?? 0}</b></span>
        <form method="post" action="/counter/increment"><button id="increment">Increment</button></form></div></section>
      <section><h2>Shopping cart</h2><div class="row">${catalogue}</div>
        <ul id="cart-items">${items.join('') || '<li id="cart-empty">The cart is empty.</li>'}</ul>
        <form method="post" action="/cart/order"><button id="place-order">Place order</button></form>
        <form method="post" action="/cart/clear"><button id="clear-cart" class="secondary">Clear cart</button></form></section>`),
    );
  });

  app.get('/login', (req, res) => {
    res.send(
      page('Log in', context(req), `<section><h1>Log in</h1>
      <form method="post" action="/login" class="row"><label>Name <input id="username" name="username" required maxlength="40" autofocus></label>
      <label><input type="checkbox" id="remember" name="remember"> Remember me</label>
      <button id="login-button">Log in</button></form></section>`),
    );
  });

  app.post('/login', (req, res) => {
    const name = String(form(req)?.username ?? '').trim().slice(0, 40);
    if (!name) {
      req.flash('info', 'Please enter a name.');
      res.redirect(303, '/login');
      return;
    }
    req.session.regenerate(); // a new id at login: an id seen before is worthless now
    req.session.user = name; // with userField: indexed as this user's session, its login time recorded
    req.session.agent = (req.get('user-agent') ?? 'unknown').slice(0, 200);
    // Remember me keeps the configured lifetime (31 days, refreshed by use); without it, the cookie ends with the browser.
    if (formField(req, 'remember') !== 'on') req.session.cookie.maxAge = null;
    req.flash('info', `Welcome, ${name}`);
    res.redirect(303, '/');
  });

  app.post('/logout', async (req, res) => {
    await req.session.destroy();
    req.flash('info', 'You have been logged out'); // starts a fresh session under a new id
    res.redirect(303, '/');
  });

  app.post('/counter/increment', (req, res) => {
    req.session.counter = (req.session.counter ?? 0) + 1;
    res.redirect(303, '/');
  });

  app.post('/cart/add', (req, res) => {
    const item = String(form(req)?.item);
    if ((CATALOGUE as readonly string[]).includes(item)) (req.session.cart ??= []).push(item); // nested change: saved as is
    res.redirect(303, '/');
  });

  app.post('/cart/remove', (req, res) => {
    req.session.cart?.splice(Number(form(req)?.index), 1);
    res.redirect(303, '/');
  });

  app.post('/cart/clear', (req, res) => {
    delete req.session.cart;
    res.redirect(303, '/');
  });

  app.get('/session', (req, res) => {
    const ctx = context(req);
    const session = req.session;
    const expiry = session.expiresAt?.toISOString() ?? 'not saved yet';
    res.send(
      page('Session', ctx, `<section><h1>This session</h1><dl>
        <dt>Id (shortened)</dt><dd id="session-id">${escapeHtml(session.id.slice(0, 8))}…</dd>
        <dt>Expires</dt><dd id="session-expiry">${escapeHtml(expiry)}</dd>
        <dt>User</dt><dd id="session-user">${escapeHtml(session.user ?? '(nobody)')}</dd>
        <dt>Permanent cookie</dt><dd>${session.permanent}</dd></dl>
        <h2>Data</h2><pre id="session-data">${escapeHtml(JSON.stringify({ ...session }, null, 2))}</pre></section>`),
    );
  });

  addAccountRoutes(app, { sessions, context, field: formField, reauthAfter: options.reauthAfter ?? '5m' });

  return { app, close: () => store.close() };
}
