/**
 * The conformance app of the Web adapter (routes in test/conformance/adapter-suite.ts): a
 * plain fetch handler, as in a Next.js route handler or a Bun/Deno server. Web standards
 * only, so that the same app runs in-process under Node, Bun and Deno and inside workerd.
 */
import type { SessionManager } from '../../../src/engine/engine.js';
import type { SessionOptions } from '../../../src/engine/options.js';
import { requireFresh, webSessions } from '../../../src/adapters/web.js';
import { CUSTOM_STALE_STATUS, customStaleText, FRESH_MAX_AGE, getViaAccessor, sessionForm, setViaAccessor } from '../../conformance/adapter-routes.js';
import { asText } from '../../helpers/text.js';

export type FetchHandler = (request: Request) => Promise<Response>;

/** A POST of an HTML form, urlencoded or multipart: what `formData()` reads. */
const isForm = (request: Request) => request.method === 'POST' && /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(request.headers.get('content-type') ?? '');

export function webApp(options: SessionOptions | SessionManager): FetchHandler {
  const sessions = webSessions(options);
  const freshOnly = () => new Response('fresh');
  const fresh = requireFresh(FRESH_MAX_AGE, freshOnly);
  const freshCustom = requireFresh(FRESH_MAX_AGE, freshOnly, { onStale: (_request, _session, outcome) => new Response(customStaleText(outcome), { status: CUSTOM_STALE_STATUS }) });
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
      case '/fresh':
        return fresh(request, session);
      case '/fresh-custom':
        return freshCustom(request, session);
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
      case '/form': {
        // The form the CSRF check read from a copy: the request's own body is still unread.
        // Web standard formData() on every runtime the app runs on (Node's types deprecate it for busboy).
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        const posted = isForm(request) ? Object.fromEntries((await request.formData()).entries()) : {};
        return new Response(await sessionForm(options, () => session, { ...Object.fromEntries(url.searchParams), ...posted }));
      }
      default:
        return new Response('not found', { status: 404 });
    }
  });
  // The application's own error boundary, as a framework would have.
  return async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      return new Response(`handled: ${(error as Error).message}`, { status: 500 });
    }
  };
}
