import { describe, expect, it } from 'vitest';
import { currentSession, session, SessionEngine } from '../../src/index.js';
import { MemoryStore } from '../../src/stores/memory.js';

describe('the request-scoped session accessor', () => {
  it('says how to turn it on while no engine asked for it', () => {
    expect(() => (session as unknown as Record<string, unknown>).user).toThrow(/requestContext: true/);
  });

  it('throws a clear error outside a request', () => {
    new SessionEngine({ store: new MemoryStore(), requestContext: true });
    expect(() => (session as unknown as Record<string, unknown>).user).toThrow(/`session` was used outside a request/);
    expect(() => currentSession()).toThrow(/outside a request/);
  });
});
