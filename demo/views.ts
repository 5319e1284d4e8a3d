/** HTML for the demo's pages. Every value from the user or the session is escaped. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f5f6fa; color: #1d2433; }
  header { background: #1d2433; color: #fff; padding: 0.8rem 2rem; display: flex; gap: 1.5rem; align-items: center; }
  header a { color: #cfd6ff; text-decoration: none; } header strong { margin-right: auto; }
  main { max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
  section { background: #fff; border-radius: 10px; padding: 1.2rem 1.5rem; margin-bottom: 1.2rem; box-shadow: 0 1px 3px #0002; }
  h1 { font-size: 1.5rem; margin-top: 0; } h2 { font-size: 1.1rem; margin-top: 0; }
  button { font: inherit; padding: 0.35rem 0.9rem; border-radius: 6px; border: 1px solid #4856c7; background: #4856c7; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #4856c7; }
  input { font: inherit; padding: 0.3rem 0.5rem; border: 1px solid #bbb; border-radius: 6px; }
  form { display: inline; } .row { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
  #flash { background: #e6f6ec; border: 1px solid #7fc79a; padding: 0.6rem 1rem; border-radius: 8px; margin-bottom: 1.2rem; }
  pre { background: #1d2433; color: #e8ebff; padding: 1rem; border-radius: 8px; overflow: auto; }
  dt { font-weight: 600; } dd { margin: 0 0 0.6rem 0; font-family: ui-monospace, monospace; }
  ul { padding-left: 1.2rem; }
`;

export interface PageContext {
  user: string | undefined;
  flash: string | undefined;
}

export function page(title: string, context: PageContext, body: string): string {
  const account = context.user
    ? `<span>Signed in as <b id="nav-user">${escapeHtml(context.user)}</b></span>
       <form method="post" action="/logout"><button id="logout-button" class="secondary">Log out</button></form>`
    : '<a href="/login" id="login-link">Log in</a>';
  const flash = context.flash ? `<div id="flash" role="status">${escapeHtml(context.flash)}</div>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sessionkit demo</title><style>${STYLE}</style></head>
<body><header><strong>sessionkit demo</strong><a href="/">Home</a><a href="/session">Session</a>${context.user ? '<a href="/devices" id="devices-link">Devices</a>' : ''}${account}</header>
<main>${flash}${body}</main></body></html>`;
}
