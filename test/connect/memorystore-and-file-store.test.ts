/**
 * fromConnectStore on two in-process express-session stores: memorystore (an LRU in
 * memory) and session-file-store (a JSON file per session in a temporary directory; it
 * answers a missing session with ENOENT, which reads as absent).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import session from 'express-session';
import createMemoryStore from 'memorystore';
import createFileStore from 'session-file-store';
import { describe, expect, it } from 'vitest';
import { fromConnectStore } from '../../src/connect/index.js';
import { SessionEngine } from '../../src/engine/engine.js';
import { describeSessionsOverHttp } from '../conformance/http-suite.js';
import { describeStore } from '../conformance/store-suite.js';
import { plantExpressSession, sleep } from './helpers.js';

const MemoryStore = createMemoryStore(session);
const FileStore = createFileStore(session);

let memory: InstanceType<typeof MemoryStore> | undefined;
const memoryFixture = async () => {
  memory = new MemoryStore({});
  return { store: fromConnectStore(memory) };
};
describeStore('fromConnectStore(memorystore)', memoryFixture, ['touch'], { plantForeignValue: plantExpressSession(() => memory!) });
describeSessionsOverHttp('fromConnectStore(memorystore)', memoryFixture, { compareAndSet: false });

let files: session.Store | undefined;
const fileFixture = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sessionkit-connect-files-'));
  // retries: 0, or every missing session waits for five retries; reapInterval -1: no timer.
  files = new FileStore({ path: dir, retries: 0, reapInterval: -1, logFn: () => {} });
  return { store: fromConnectStore(files), cleanup: () => rm(dir, { recursive: true, force: true }) };
};
describeStore('fromConnectStore(session-file-store)', fileFixture, ['touch'], { plantForeignValue: plantExpressSession(() => files!) });
describeSessionsOverHttp('fromConnectStore(session-file-store)', fileFixture, { compareAndSet: false });

describe('fromConnectStore: what needs compare-and-set is refused at start-up', () => {
  it('userField and lock name what the connect store lacks', () => {
    const store = fromConnectStore(new MemoryStore({ checkPeriod: 0 }));
    expect(() => new SessionEngine({ store, userField: 'user' })).toThrow(/userField needs a store with insert-if-absent \(create\) and compare-and-set/);
    expect(() => new SessionEngine({ store, lock: true })).toThrow(/lock needs a store with insert-if-absent \(create\) and compare-and-set/);
  });
});

describe('fromConnectStore: what the stores themselves do not check', () => {
  it('memorystore with its own ttl (60 s) keeps a record past its expiry; it reads as absent all the same', async () => {
    const lru = new MemoryStore({ ttl: 60_000 });
    const store = fromConnectStore(lru);
    await store.set('session:lru', { data: Uint8Array.from([7]), expiresAt: Date.now() + 100 });
    await sleep(200);
    const raw = await new Promise((resolve) => { lru.get('session:lru', (_error, value) => { resolve(value); }); });
    expect(raw).toBeTruthy();
    expect(await store.get('session:lru')).toBeUndefined();
  });

  it('keys with characters a file name cannot hold are stored under a hash, inside the directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sessionkit-connect-names-'));
    try {
      const store = fromConnectStore(new FileStore({ path: dir, retries: 0, reapInterval: -1, logFn: () => {} }));
      const key = 'session:../../escape/ключ';
      await store.set(key, { data: Uint8Array.from([1, 2]), expiresAt: Date.now() + 60_000 });
      const names = await readdir(dir);
      expect(names).toEqual([`${store.idFor(key)}.json`]);
      expect(names[0]).toMatch(/^h\.[\w-]+\.json$/);
      expect(Array.from((await store.get(key))?.data ?? [])).toEqual([1, 2]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an express-session store passed as anything else is refused at construction', () => {
    expect(() => fromConnectStore({} as never)).toThrow(/needs an express-session store/);
    expect(() => fromConnectStore(new MemoryStore({}), { maxIdLength: 10 })).toThrow(/maxIdLength/);
  });
});
