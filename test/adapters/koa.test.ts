import { setTimeout as delay } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { bodyParser } from '@koa/bodyparser';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { requireFresh, sessionkit } from '../../src/adapters/koa.js';
import type { SessionManager } from '../../src/engine/engine.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { CUSTOM_STALE_STATUS, customStaleText, describeAdapter, FRESH_MAX_AGE, getViaAccessor, sessionForm, setViaAccessor } from '../conformance/adapter-suite.js';
import { describeMultiSession } from '../conformance/multi-session-suite.js';
import { listen } from '../helpers/http.js';
import { asText } from '../helpers/text.js';

function build(Koa: typeof Koa3) {
  return (options: SessionOptions | SessionManager) => {
    const app = new Koa();
    app.silent = true;
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        ctx.status = (error as { status?: number }).status ?? 500;
        ctx.body = `handled: ${(error as Error).message}`;
      }
    });
    // The body parser a Koa app mounts, before the sessions: the CSRF check reads ctx.request.body._csrf.
    app.use(bodyParser());
    app.use(sessionkit(options));
    const fresh = requireFresh(FRESH_MAX_AGE);
    const freshCustom = requireFresh(FRESH_MAX_AGE, {
      onStale: (ctx, outcome) => {
        ctx.status = CUSTOM_STALE_STATUS;
        ctx.body = customStaleText(outcome);
      },
    });
    app.use(async (ctx, next) => {
      const guard = ctx.path === '/fresh' ? fresh : ctx.path === '/fresh-custom' ? freshCustom : undefined;
      if (guard) await guard(ctx, next);
      else await next();
    });
    app.use(async (ctx) => {
      const data = ctx.session as unknown as Record<string, unknown>;
      const { k, v } = ctx.query as Record<string, string>;
      switch (ctx.path) {
        case '/set':
          data[k!] = v;
          ctx.body = 'ok';
          break;
        case '/get':
          ctx.body = asText(data[k!] ?? 'not set');
          break;
        case '/plain':
          ctx.body = 'ok';
          break;
        case '/fresh':
        case '/fresh-custom':
          ctx.body = 'fresh';
          break;
        case '/regenerate':
          ctx.session.regenerate();
          ctx.body = 'ok';
          break;
        case '/destroy':
          void ctx.session.destroy();
          ctx.body = 'ok';
          break;
        case '/transient':
          ctx.session.permanent = false;
          data.t = '1';
          ctx.body = 'ok';
          break;
        case '/stream':
          data.streamed = 'yes';
          ctx.body = Readable.from(
            (async function* () {
              yield 'one,';
              await delay(5);
              yield 'two';
            })(),
          );
          break;
        case '/redirect':
          data.r = '1';
          ctx.status = 302;
          ctx.redirect('/get?k=r');
          break;
        case '/accessor':
          await Promise.resolve();
          setViaAccessor();
          ctx.body = getViaAccessor();
          break;
        case '/form':
          ctx.body = await sessionForm(options, () => ctx.session, { ...ctx.query, ...(ctx.request as { body?: object }).body });
          break;
        default:
          ctx.status = 404;
      }
    });
    return listen(app.callback());
  };
}

describeAdapter('Koa 3', build(Koa3), { csrfFieldIn: ['json'] });
describeAdapter('Koa 2', build(Koa2), { csrfFieldIn: ['json'] });
describeMultiSession('Koa 3', build(Koa3));
describeMultiSession('Koa 2', build(Koa2));
