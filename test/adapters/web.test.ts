import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/stores/memory.js';
import { webSessions } from '../../src/adapters/web.js';
import { describeAdapter } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { fetchServer, serveFetch } from '../helpers/http.js';
import { webApp } from '../runtimes/apps/web-app.js';
import { runtimeTraits } from '../runtimes/traits.js';

// The app (test/runtimes/apps/web-app.ts) is a plain fetch handler, served by this runtime's
// own server. loadSession hands the caller its session: regenerate(cb) empties it in place.
const name = `Web standard (fetch handler) on ${fetchServer}`;
describeAdapter(name, async (options) => serveFetch(webApp(options)), { regeneratesInPlace: true, csrfFieldIn: ['multipart'], ...runtimeTraits });
describeMultiSession(name, async (manager) => serveFetch(webApp(manager)));

describe('loadSession / commitSession with plain Request and Response objects', () => {
  const quiet = { warn: () => {}, info: () => {} };

  it('round-trips a session without any server', async () => {
    const { loadSession, commitSession } = webSessions({ store: new MemoryStore(), logger: quiet });
    const first = await loadSession(new Request('http://app.test/'));
    (first as unknown as Record<string, unknown>).count = 1;
    const headers = new Headers();
    await commitSession(first, headers);
    const cookie = headers.get('set-cookie')!.split(';')[0]!;
    expect(headers.get('vary')).toBe('Cookie');

    const second = await loadSession(new Request('http://app.test/', { headers: { cookie } }));
    expect((second as unknown as Record<string, unknown>).count).toBe(1);
    const untouched = new Headers();
    await commitSession(second, untouched);
    expect(untouched.get('set-cookie')).toBeNull();
  });

  it("secure: 'auto' follows the request URL's scheme", async () => {
    const { loadSession, commitSession } = webSessions({ store: new MemoryStore(), logger: quiet, cookie: { secure: 'auto' } });
    for (const [url, secure] of [['https://app.test/', true], ['http://app.test/', false]] as const) {
      const session = await loadSession(new Request(url));
      (session as unknown as Record<string, unknown>).x = 1;
      const headers = new Headers();
      await commitSession(session, headers);
      expect(/; Secure/.test(headers.get('set-cookie')!)).toBe(secure);
    }
  });

  it('handle() adds headers to a response whose headers are immutable', async () => {
    const { handle } = webSessions({ store: new MemoryStore(), logger: quiet });
    const immutable = Response.redirect('http://app.test/next', 302);
    const wrapped = handle((_request, session) => {
      (session as unknown as Record<string, unknown>).x = 1;
      return immutable;
    });
    const response = await wrapped(new Request('http://app.test/'));
    expect(response.status).toBe(302);
    expect(response.headers.get('set-cookie')).toMatch(/^session=/);
  });
});
