import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionEngine } from '../../src/index.js';
import type { SessionEventName } from '../../src/core/events.js';
import type { SessionOptions } from '../../src/engine/options.js';
import { EngineEvents } from '../../src/events/emitter.js';
import { SESSION_EVENT_NAMES } from '../../src/events/listeners.js';
import { memoryStore } from '../../src/stores/memory.js';
import { requestsOf } from '../helpers/engine-request.js';

const SECRET = 'a-test-secret-that-is-long-enough';
const quiet = { warn: () => {}, info: () => {} };
const at = (clientAddress: string, userAgent: string) => ({ clientAddress, userAgent });

afterEach(() => {
  vi.restoreAllMocks();
});

/** The real emitter's questions, counted as the engine asks them (the methods still answer). */
function countQuestions() {
  return { listening: vi.spyOn(EngineEvents.prototype, 'listening'), wants: vi.spyOn(EngineEvents.prototype, 'wants') };
}

const options: SessionOptions = { secret: SECRET, logger: quiet, userField: 'user', bind: { ip: true, userAgent: true }, touchAfter: 0 };

/** Two engines: `options`, and the same with `lock`. */
function engines() {
  return {
    engine: new SessionEngine<Record<string, unknown>>({ store: memoryStore(), ...options }),
    locking: new SessionEngine<Record<string, unknown>>({ store: memoryStore(), ...options, lock: { wait: '2s', lease: '5s' } }),
  };
}

/**
 * Every request that can report something: a login (created; bound with `bind`), a change
 * (saved), a refresh (touched), a request from elsewhere (suspicious), a lost compare-and-set
 * (conflict), a wait for the lock (lockWaited), regenerate and destroy. Resolves how many loads it made.
 */
async function everyKindOfRequest({ engine, locking }: ReturnType<typeof engines>): Promise<number> {
  const request = requestsOf(engine);
  const login = await engine.load(undefined);
  login.user = 'ada';
  const pending = engine.commit(login, at('192.0.2.1', 'Firefox'));
  await pending.persist();
  const cookie = pending.setCookies[0]!.split(';')[0];
  const changed = await engine.load(cookie);
  changed.n = 1;
  await engine.commit(changed, at('198.51.100.7', 'curl')).persist();
  await request(cookie);
  // Two requests of one session, each changing it: the second's compare-and-set loses and merges.
  const one = await engine.load(cookie);
  const two = await engine.load(cookie);
  one.a = 1;
  await engine.commit(one).persist();
  two.b = 2;
  await engine.commit(two).persist();
  const renewed = await request(cookie, (session) => session.regenerate());
  await request(renewed.cookie, (session) => session.destroy());
  // A request that waits for the lock another holds.
  const held = await requestsOf(locking)(undefined, (session) => void (session.n = 1));
  const holder = await locking.load(held.cookie);
  const waiting = locking.load(held.cookie);
  setTimeout(() => void locking.finish(holder), 20);
  await locking.finish(await waiting);
  return 10;
}

describe('events cost one question per request when nobody listens', () => {
  it('with no listener and no subscriber, a request asks once whether anybody listens, and nothing else', async () => {
    const asked = countQuestions();
    const loads = await everyKindOfRequest(engines());
    expect(asked.listening).toHaveBeenCalledTimes(loads);
    // No event asked for: no load report, no wrapper around a commit, no handle hashed.
    expect(asked.wants).not.toHaveBeenCalled();
  });

  it('with a listener, the same requests ask once each and then per event, and hear every one', async () => {
    const both = engines();
    const heard: SessionEventName[] = [];
    for (const name of SESSION_EVENT_NAMES) {
      both.engine.on(name, () => heard.push(name));
      both.locking.on(name, () => heard.push(name));
    }
    const asked = countQuestions();
    const loads = await everyKindOfRequest(both);
    expect(asked.listening).toHaveBeenCalledTimes(loads);
    expect(asked.wants).toHaveBeenCalled();
    expect(new Set(heard)).toEqual(new Set(['missed', 'created', 'loaded', 'saved', 'touched', 'suspicious', 'conflict', 'lockWaited', 'regenerated', 'destroyed']));
  });

  it('a request that began with nobody listening reports nothing; the next one reports to a listener added meanwhile', async () => {
    const engine = new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: SECRET, logger: quiet });
    const created: string[] = [];
    const session = await engine.load(undefined);
    engine.on('created', (event) => created.push(event.handle));
    session.n = 1;
    await engine.commit(session).persist();
    expect(created).toEqual([]);
    await requestsOf(engine)(undefined, (next) => void (next.n = 1));
    expect(created).toHaveLength(1);
  });

  it('so does a subscriber to a channel that comes while a request runs', async () => {
    const engine = new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: SECRET, logger: quiet });
    const published: unknown[] = [];
    const onCreated = (message: unknown) => published.push(message);
    const session = await engine.load(undefined);
    subscribe('sessionkit:session.created', onCreated);
    try {
      session.n = 1;
      await engine.commit(session).persist();
      expect(published).toEqual([]);
      await requestsOf(engine)(undefined, (next) => void (next.n = 1));
      expect(published).toHaveLength(1);
    } finally {
      unsubscribe('sessionkit:session.created', onCreated);
    }
  });
});

describe('EngineEvents.listening', () => {
  it('answers true while any one event has a listener or a channel subscriber, false once they are gone', () => {
    const events = new EngineEvents(quiet, undefined);
    expect(events.listening()).toBe(false);
    const off = events.on('conflict', () => {});
    expect(events.listening()).toBe(true);
    off();
    expect(events.listening()).toBe(false);
    expect(new EngineEvents(quiet, { suspicious: () => {} }).listening()).toBe(true);
    for (const name of SESSION_EVENT_NAMES) {
      const onMessage = () => {};
      subscribe(`sessionkit:session.${name}`, onMessage);
      expect(events.listening(), name).toBe(true);
      unsubscribe(`sessionkit:session.${name}`, onMessage);
      expect(events.listening(), name).toBe(false);
    }
  });
});
