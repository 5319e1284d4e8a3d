/**
 * The routes of every Express bench server with sessions: /login starts a session holding
 * `payload()`, /read reads it and answers the user's name, /write increments its counter.
 */
export function sessionRoutes(app, payload) {
  app.get('/login', (req, res) => {
    Object.assign(req.session, payload());
    res.send('ok');
  });
  app.get('/read', (req, res) => res.send(`hello ${req.session.name}`));
  app.get('/write', (req, res) => res.send(`count ${++req.session.counter}`));
}
