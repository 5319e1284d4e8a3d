import { describe, expect, it } from 'vitest';
import { SessionEngine, SessionLockTimeoutError, type Session } from '../../src/index.js';
import { cookieStore } from '../../src/stores/cookie/index.js';
import { CountingStore } from '../helpers/counting-store.js';

const quiet = { warn: () => {}, info: () => {} };
const SECRET = 'engine-lock-secret-0123456789abcdef';
type Data = Record<string, unknown>;

async function commitAndFinish(engine: SessionEngine<Data>, session: Session<Data>) {
  const pending = engine.commit(session);
  await pending.persist();
  await engine.finish(session);
  return pending.setCookies[0]?.split(';')[0];
}

describe('the engine with lock', () => {
  it('a cookie naming no live session takes no lock: made-up ids cost no store writes', async () => {
    const store = new CountingStore();
    const engine = new SessionEngine({ store, logger: quiet, lock: true });
    const session = await engine.load('session=' + 'A'.repeat(43));
    expect(session.isNew).toBe(true);
    expect(store.writes).toBe(0);
  });

  it('a live session is read again once its lock is held, so it sees the write of the holder before it', async () => {
    const store = new CountingStore();
    const engine = new SessionEngine<Data>({ store, logger: quiet, secret: SECRET, lock: { wait: '5s', lease: '5s' } });
    const first = await engine.load(undefined);
    first.n = 1;
    const cookie = await commitAndFinish(engine, first);
    const holder = await engine.load(cookie);
    const waiting = engine.load(cookie);
    holder.n = 2;
    await commitAndFinish(engine, holder);
    expect((await waiting).n).toBe(2);
  });

  it('a request that never finishes keeps the next one waiting at most lock.wait, with a clear error', async () => {
    const engine = new SessionEngine<Data>({ store: new CountingStore(), logger: quiet, secret: SECRET, lock: { wait: '200ms', lease: '5s' } });
    const first = await engine.load(undefined);
    first.n = 1;
    const cookie = await commitAndFinish(engine, first);
    await engine.load(cookie); // held, never finished
    const error = await engine.load(cookie).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionLockTimeoutError);
    expect((error as Error).name).toBe('SessionLockTimeoutError');
  });

  it('is refused at start-up where it cannot work', () => {
    expect(() => new SessionEngine({ store: cookieStore(), secret: SECRET, lock: true })).toThrow(/"lock" needs sessions kept in a store/);
    expect(() => new SessionEngine({ store: new CountingStore(), lock: { lease: '10ms' } })).toThrow(/lock\.lease must be at least one second/);
  });
});
