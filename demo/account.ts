/**
 * The demo's account pages: the user's devices (listSessions, revokeSession, revokeSessions)
 * and a sensitive action, placing the order, behind a recent-login guard (requireFresh).
 */
import type { Express, NextFunction, Request, Response } from 'express';
import type { UserSession, UserSessionControls } from '../src/core/manager.js';
import { requireFresh } from '../src/adapters/express.js';
import { escapeHtml, page, type PageContext } from './views.js';

/** What the account pages need from the app: its session controls, the page context and the form reader. */
export interface AccountRoutes {
  sessions: UserSessionControls;
  context: (req: Request) => PageContext;
  field: (req: Request, name: 'handle' | 'confirmName') => string;
  /** How old a login may be for the order ('5m'; shorter in the browser test). */
  reauthAfter: string;
}

const time = (ms: number | undefined) => (ms === undefined ? 'unknown' : new Date(ms).toISOString());

function deviceRow(device: UserSession): string {
  const recorded = device.fields.agent;
  const agent = escapeHtml(typeof recorded === 'string' ? recorded : 'unknown');
  const end = device.current
    ? '<b class="current">this device</b>'
    : `<form method="post" action="/devices/end"><input type="hidden" name="handle" value="${escapeHtml(device.handle)}">
        <button class="secondary end-device">End</button></form>`;
  return `<li class="device"><span class="agent">${agent}</span><br>
    last active <span class="last-active">${time(device.lastActiveAt)}</span>, signed in ${time(device.createdAt)} ${end}</li>`;
}

/** The prompt a stale login gets instead of the order: the demo's credential (the name) again, posted back to the order itself. */
function reauthPage(req: Request, res: Response, context: PageContext): void {
  res.status(401).send(
    page('Confirm it is you', context, `<section><h1 id="reauth">Confirm it is you</h1>
      <p>Placing an order needs a recent login. Type your name again (the demo's only credential).</p>
      <form method="post" action="${escapeHtml(req.originalUrl)}" class="row"><label>Name <input id="confirm-name" name="confirmName" required maxlength="40"></label>
      <button id="confirm-button">Confirm and place the order</button></form></section>`),
  );
}

export function addAccountRoutes(app: Express, routes: AccountRoutes): void {
  const { sessions, context, field } = routes;
  const signedIn = (req: Request, res: Response, next: NextFunction) => (req.session.user ? next() : res.redirect(303, '/login'));
  /** A page for the signed-in user only; anyone else is sent to log in. */
  const forUser = (handler: (req: Request, res: Response, user: string) => Promise<void>) => async (req: Request, res: Response) => {
    const user = req.session.user;
    if (user) await handler(req, res, user);
    else res.redirect(303, '/login');
  };

  app.get('/devices', forUser(async (req, res, user) => {
    const ctx = context(req);
    const devices = await sessions.listSessions(user, { current: req.session });
    res.send(
      page('Your devices', ctx, `<section><h1>Your devices</h1><ul id="devices">${devices.map(deviceRow).join('')}</ul>
        <form method="post" action="/devices/end-others"><button id="end-others" class="secondary">Sign out all other devices</button></form></section>`),
    );
  }));

  app.post('/devices/end', forUser(async (req, res, user) => {
    const ended = await sessions.revokeSession(user, field(req, 'handle'));
    req.flash('info', ended ? 'That device is signed out.' : 'That device was already signed out.');
    res.redirect(303, '/devices');
  }));

  app.post('/devices/end-others', forUser(async (req, res, user) => {
    const ended = await sessions.revokeSessions(user, { except: req.session });
    req.flash('info', `Signed out ${ended} other device${ended === 1 ? '' : 's'}.`);
    res.redirect(303, '/devices');
  }));

  // The prompt's answer comes back to the order: a right name is a new proof, then the guard lets the order through.
  const confirmIdentity = (req: Request, _res: Response, next: NextFunction) => {
    if (field(req, 'confirmName').trim() === req.session.user) req.session.markAuthenticated();
    next();
  };
  const recentLogin = requireFresh(routes.reauthAfter, { onStale: (req: Request, res: Response) => reauthPage(req, res, context(req)) });

  app.post('/cart/order', signedIn, confirmIdentity, recentLogin, (req, res) => {
    const cart = req.session.cart ?? [];
    delete req.session.cart;
    req.flash('info', cart.length ? `Order placed: ${cart.join(', ')}` : 'Nothing to order: the cart is empty.');
    res.redirect(303, '/');
  });
}
