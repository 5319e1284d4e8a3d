import { describe, expect, it } from 'vitest';
import type { SessionManager } from '../../src/core/engine.js';
import type { SessionOptions } from '../../src/core/options.js';
import { MemoryStore } from '../../src/stores/memory.js';
import { webSessions } from '../../src/adapters/web.js';
import { describeAdapter, getViaAccessor, sessionForm, setViaAccessor } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { serveFetch } from '../helpers/http.js';
import { asText } from '../helpers/text.js';

/** A plain fetch handler, as in a Next.js route handler or a Bun/Deno server. */
function build(options: SessionOptions | SessionManager) {
  const sessions = webSessions(options);
  const handler = sessions.handle(async (request, session) => {
    const url = new URL(request.url);
    const data = session as unknown as Record<string, unknown>;
    const k = url.searchParams.get('k')!;
    switch (url.pathname) {
      case '/set':
        data[k] = url.searchParams.get('v');
        return new Response('ok');
      case '/get':
        return new Response(asText(data[k] ?? 'not set'));
      case '/plain':
        return new Response('ok');
      case '/regenerate':
        session.regenerate();
        return new Response('ok');
      case '/destroy':
        void session.destroy();
        return new Response('ok');
      case '/transient':
        session.permanent = false;
        data.t = '1';
        return new Response('ok');
      case '/stream': {
        data.streamed = 'yes';
        const body = new ReadableStream({
          async start(controller) {
            controller.enqueue(new TextEncoder().encode('one,'));
            await new Promise((resolve) => setTimeout(resolve, 5));
            controller.enqueue(new TextEncoder().encode('two'));
            controller.close();
          },
        });
        return new Response(body);
      }
      case '/redirect':
        data.r = '1';
        return new Response(null, { status: 302, headers: { location: '/get?k=r' } });
      case '/accessor':
        await Promise.resolve();
        setViaAccessor();
        return new Response(getViaAccessor());
      case '/form':
        return new Response(await sessionForm(options, () => session, Object.fromEntries(url.searchParams)));
      default:
        return new Response('not found', { status: 404 });
    }
  });
  // The application's own error boundary, as a framework would have.
  return serveFetch(async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      return new Response(`handled: ${(error as Error).message}`, { status: 500 });
    }
  });
}

// loadSession hands the caller its session: regenerate(cb) empties it in place.
describeAdapter('Web standard (fetch handler)', async (options) => build(options), { regeneratesInPlace: true });
describeMultiSession('Web standard (fetch handler)', async (manager) => build(manager));

describe('loadSession / commitSession with plain Request and Response objects', () => {
  const quiet = { warn: () => {}, info: () => {} };

  it('round-trips a session without any server', async () => {
    const { loadSession, commitSession } = webSessions({ store: new MemoryStore(), logger: quiet }); // eslint-disable-line @typescript-eslint/unbound-method -- webSessions() returns closures that never use `this` (src/adapters/web.ts); WebSessions declares them as methods
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
    const { loadSession, commitSession } = webSessions({ store: new MemoryStore(), logger: quiet, cookie: { secure: 'auto' } }); // eslint-disable-line @typescript-eslint/unbound-method -- webSessions() returns closures that never use `this` (src/adapters/web.ts); WebSessions declares them as methods
    for (const [url, secure] of [['https://app.test/', true], ['http://app.test/', false]] as const) {
      const session = await loadSession(new Request(url));
      (session as unknown as Record<string, unknown>).x = 1;
      const headers = new Headers();
      await commitSession(session, headers);
      expect(/; Secure/.test(headers.get('set-cookie')!)).toBe(secure);
    }
  });

  it('handle() adds headers to a response whose headers are immutable', async () => {
    const { handle } = webSessions({ store: new MemoryStore(), logger: quiet }); // eslint-disable-line @typescript-eslint/unbound-method -- webSessions() returns closures that never use `this` (src/adapters/web.ts); WebSessions declares them as methods
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
