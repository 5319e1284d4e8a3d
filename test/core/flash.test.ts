import { describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../src/codec/msgpack/index.js';
import { SessionEngine } from '../../src/index.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { CountingStore } from '../helpers/counting-store.js';
import { requestsOf } from '../helpers/engine-request.js';

const SECRET = 'flash-test-secret-0123456789abcdef';

function setup() {
  const warnings: string[] = [];
  const store = new CountingStore();
  const engine = new SessionEngine({ store, logger: { warn: (message) => warnings.push(message), info: () => {} } });
  return { store, warnings, request: requestsOf(engine) };
}

describe('flash messages: connect-flash\'s API on the session', () => {
  it('flash(type, message) keeps a message until flash(type) takes it, once', async () => {
    const { request } = setup();
    const first = await request(undefined, (s) => {
      expect(s.flash('info', 'Saved.')).toBe(1);
      expect(s.flash('info', 'Sent.')).toBe(2);
      expect(s.flash('error', 'Not sent.')).toBe(1);
    });
    let taken: string[] = [];
    const second = await request(first.cookie, (s) => {
      taken = s.flash('info');
    });
    expect(taken).toEqual(['Saved.', 'Sent.']);
    await request(second.cookie, (s) => {
      expect(s.flash('info')).toEqual([]);
      expect(s.flash('error')).toEqual(['Not sent.']);
    });
  });

  it('flash() takes every type at once, grouped by type', async () => {
    const { request } = setup();
    const first = await request(undefined, (s) => {
      s.flash('info', 'a');
      s.flash('error', 'b');
      s.flash('info', 'c');
    });
    await request(first.cookie, (s) => {
      expect(s.flash()).toEqual({ info: ['a', 'c'], error: ['b'] });
      expect(s.flash()).toEqual({});
    });
  });

  it('an array adds each message; more arguments are formatted into the first, as util.format does', async () => {
    const { request } = setup();
    await request(undefined, (s) => {
      expect(s.flash('info', ['one', 'two'])).toBe(2);
      expect(s.flash('info', 'Hello %s, you have %d messages', 'Ada', 3)).toBe(3);
      expect(s.flash('info')).toEqual(['one', 'two', 'Hello Ada, you have 3 messages']);
    });
  });

  it('messages live in the _flashes field as Flask keeps them, and reading the last one leaves an empty session empty', async () => {
    const { store, request } = setup();
    const first = await request(undefined, (s) => {
      s.flash('info', 'Saved.');
      expect(Object.keys(s)).toEqual(['_flashes']);
    });
    const stored = await store.inner.get(`session:${first.session.id}`);
    expect((msgpackCodec.decode(stored!.data) as { d: unknown }).d).toEqual({ _flashes: [['info', 'Saved.']] });
    const read = await request(first.cookie, (s) => void s.flash('info'));
    // Nothing else in the session: it is deleted and its cookie cleared, as any emptied session.
    expect(read.setCookie).toMatch(/Max-Age=0/);
    expect(await store.inner.get(`session:${first.session.id}`)).toBeUndefined();
  });

  it('a request that reads no message writes nothing', async () => {
    const { store, request } = setup();
    const first = await request(undefined, (s) => void s.flash('info', 'Saved.'));
    store.reset();
    const second = await request(first.cookie, (s) => void s.flash('error'));
    expect(second.setCookie).toBeUndefined();
    expect(store.writes).toBe(0);
  });

  it('a session saved by connect-flash keeps its waiting messages, with no warning, and loses the old field on its next write', async () => {
    const { store, warnings, request } = setup();
    const first = await request(undefined, (s) => {
      (s as unknown as Record<string, unknown>).user = 'ada';
    });
    // What connect-flash left: `flash` holds messages by type (and `{}` once read).
    const id = first.session.id;
    const record = await store.inner.get(`session:${id}`);
    const payload = msgpackCodec.decode(record!.data) as { d: Record<string, unknown> };
    payload.d.flash = { info: ['From connect-flash.'] };
    await store.inner.set(`session:${id}`, { ...record!, data: msgpackCodec.encode(payload) });
    await request(first.cookie, (s) => {
      expect(s.flash('info')).toEqual(['From connect-flash.']);
      expect(Object.keys(s)).toEqual(['user']);
    });
    expect(warnings).toEqual([]);
    const rewritten = msgpackCodec.decode((await store.inner.get(`session:${id}`))!.data) as { d: unknown };
    expect(rewritten.d).toEqual({ user: 'ada' });
  });

  it('works in a sealed cookie too', async () => {
    const request = requestsOf(new SessionEngine({ store: cookieStore({ secret: SECRET }) }));
    const first = await request(undefined, (s) => void s.flash('info', 'Sealed.'));
    await request(first.cookie, (s) => {
      expect(s.flash('info')).toEqual(['Sealed.']);
    });
  });
});
