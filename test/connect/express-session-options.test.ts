/**
 * express-session's options passed to sessionkit unchanged, as an application moving over
 * keeps its `session({ … })` call: each is translated, noted once, or refused with the
 * reason. Over HTTP with Express for what reaches the browser.
 */
import express from 'express';
import MemoryStoreFactory from 'memorystore';
import session from 'express-session';
import { describe, expect, it } from 'vitest';
import { sessionkit } from '../../src/adapters/express.js';
import { SessionEngine } from '../../src/engine/engine.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { memoryStore } from '../../src/stores/memory.js';
import { requestsOf } from '../helpers/engine-request.js';
import { CookieJar, listen } from '../helpers/http.js';

const SECRET = 'express-session-options-secret-0123456789';

function recordingLogger() {
  const infos: string[] = [];
  const warns: string[] = [];
  return { infos, warns, logger: { info: (message: string) => void infos.push(message), warn: (message: string) => void warns.push(message) } };
}

describe("express-session's options", () => {
  it("start the todos app's session call as it was (resave, saveUninitialized, name, cookie.maxAge), over HTTP", async () => {
    const { infos, logger } = recordingLogger();
    const app = express();
    app.use(
      sessionkit({
        secret: SECRET,
        resave: false,
        saveUninitialized: false,
        name: 'todos.sid',
        cookie: { maxAge: 7 * 24 * 60 * 60 * 1000 },
        store: memoryStore(),
        logger,
      }),
    );
    app.get('/count', (req, res) => {
      const data = req.session as unknown as { n?: number };
      data.n = (data.n ?? 0) + 1;
      res.send(String(data.n));
    });
    const server = await listen(app);
    try {
      const jar = new CookieJar();
      const first = await jar.fetch(`${server.url}/count`);
      const setCookie = first.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/^todos\.sid=/);
      expect(setCookie).toContain('Max-Age=604800');
      expect(await first.text()).toBe('1');
      expect(await (await jar.fetch(`${server.url}/count`)).text()).toBe('2');
    } finally {
      await server.close();
    }
    expect(infos.filter((message) => message.includes('"resave"'))).toHaveLength(1);
    expect(infos.filter((message) => message.includes('"saveUninitialized"'))).toHaveLength(1);
  });

  it('notes each meaningless option once per logger, however many engines are made', () => {
    const { infos, logger } = recordingLogger();
    for (let engine = 0; engine < 3; engine++) new SessionEngine({ resave: true, saveUninitialized: true, proxy: true, rolling: false, logger });
    expect(infos).toHaveLength(4);
    expect(infos.join('\n')).toMatch(/trust proxy/);
    expect(infos.join('\n')).toMatch(/touchAfter/);
  });

  it('rolling: true refreshes the cookie on every request, as touchAfter: 0 does', async () => {
    const engine = new SessionEngine<{ n: number }>({ rolling: true, store: memoryStore(), logger: recordingLogger().logger });
    const request = requestsOf(engine);
    const { cookie } = await request(undefined, (s) => (s.n = 1));
    expect((await request(cookie)).setCookie).toBeDefined();
    const plain = requestsOf(new SessionEngine<{ n: number }>({ store: memoryStore(), logger: recordingLogger().logger }));
    const created = await plain(undefined, (s) => (s.n = 1));
    expect((await plain(created.cookie)).setCookie).toBeUndefined(); // the default throttles the refresh
  });

  it('cookie.maxAge null is a browser-session cookie; a number is the lifetime in milliseconds', async () => {
    const logger = recordingLogger().logger;
    const browser = requestsOf(new SessionEngine<{ n: number }>({ cookie: { maxAge: null }, store: memoryStore(), logger }));
    const { setCookie } = await browser(undefined, (s) => (s.n = 1));
    expect(setCookie).toBeDefined();
    expect(setCookie).not.toMatch(/Max-Age|Expires/);
    const timed = requestsOf(new SessionEngine<{ n: number }>({ cookie: { maxAge: 90_000 }, store: memoryStore(), logger }));
    expect((await timed(undefined, (s) => (s.n = 1))).setCookie).toContain('Max-Age=90;');
  });

  const refused: [string, SessionOptions, RegExp][] = [
    ['genid, with the reason', { genid: () => 'chosen' }, /"genid" is not offered: session ids are always random/],
    ["unset: 'destroy', saying what to call", { unset: 'destroy' }, /req\.session\.destroy\(\)/],
    ['name and cookie.name that disagree', { name: 'a', cookie: { name: 'b' } }, /disagree/],
    ['cookie.maxAge beside lifetime', { lifetime: '1d', cookie: { maxAge: 60_000 } }, /Keep lifetime/],
    ['cookie.maxAge in seconds by mistake', { cookie: { maxAge: 60 } }, /milliseconds/],
    ['cookie.expires, with what to set instead', { cookie: { expires: new Date() } } as never, /cookie\.expires .*lifetime/],
    ['rolling: true beside touchAfter', { rolling: true, touchAfter: 30 }, /contradicts/],
    ['an express-session store passed as it is', { store: new session.MemoryStore() as never }, /fromConnectStore/],
    ['a connect store (memorystore) passed as it is', { store: new (MemoryStoreFactory(session))({}) as never }, /fromConnectStore/],
  ];
  for (const [what, options, message] of refused) {
    it(`refuses ${what}`, () => {
      expect(() => new SessionEngine({ logger: recordingLogger().logger, ...options })).toThrow(message);
    });
  }

  it("keeps unset: 'keep' (what deleting req.session does here) and a matching name without a word", () => {
    const { infos, warns, logger } = recordingLogger();
    new SessionEngine({ unset: 'keep', name: 'same', cookie: { name: 'same' }, store: memoryStore(), logger });
    expect([...infos, ...warns]).toEqual([]);
  });
});
