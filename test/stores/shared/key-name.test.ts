import { describe, expect, it } from 'vitest';
import { generateId } from '../../../src/engine/cookie/ids.js';
import { handleOf } from '../../../src/core/handle.js';
import { keyForMessages } from '../../../src/core/key-name.js';

describe('keyForMessages: how a message names a store key', () => {
  const id = generateId(32);

  it('keeps the prefix of a session key and replaces the id with its handle', () => {
    expect(keyForMessages(`session:${id}`)).toBe(`session:<handle ${handleOf(id)}>`);
  });

  it('keeps the kind of a lock key (session:lock.<id>) and hides its id the same way', () => {
    expect(keyForMessages(`session:lock.${id}`)).toBe(`session:lock.<handle ${handleOf(id)}>`);
  });

  it('hides the whole key when it has no separator (an id with no prefix)', () => {
    expect(keyForMessages(id)).toBe(`<handle ${handleOf(id)}>`);
  });
});
