import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { SessionEngine } from '../../src/index.js';
import { memoryStore } from '../../src/stores/memory.js';
import { requestsOf } from '../helpers/engine-request.js';

const quiet = { warn: () => {}, info: () => {} };

describe('diagnostics channels', () => {
  it('every lifecycle event is published on sessionkit:session.<name>, with no listener and no configuration', async () => {
    const engine = new SessionEngine<Record<string, unknown>>({ store: memoryStore(), secret: 'a-test-secret-that-is-long-enough', logger: quiet });
    const heard: unknown[] = [];
    const onMissed = (message: unknown) => heard.push(message);
    subscribe('sessionkit:session.missed', onMissed);
    try {
      const request = requestsOf(engine);
      await request(undefined);
      await request('session=not-ours');
    } finally {
      unsubscribe('sessionkit:session.missed', onMissed);
    }
    expect(heard).toMatchObject([
      { reason: 'no-cookie', store: 'memory' },
      { reason: 'malformed', store: 'memory' },
    ]);
    // Unsubscribed: nothing more is made or published.
    await requestsOf(engine)(undefined);
    expect(heard).toHaveLength(2);
  });
});
