import { describe, expect, it } from 'vitest';
import { currentSession, session } from '../src/index.js';

describe('the request-scoped session accessor', () => {
  it('throws a clear error outside a request', () => {
    expect(() => (session as unknown as Record<string, unknown>).user).toThrow(/`session` was used outside a request/);
    expect(() => currentSession()).toThrow(/outside a request/);
  });
});
