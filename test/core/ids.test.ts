import { describe, expect, it } from 'vitest';
import { generateId, IdCodec } from '../../src/engine/cookie/ids.js';

const NEW = 'new-secret-0123456789abcdefghijklmnop';
const OLD = 'old-secret-0123456789abcdefghijklmnop';

describe('IdCodec', () => {
  it('signs with the first secret and reads its own values back, from cache or not', async () => {
    const id = generateId(32);
    const writer = new IdCodec(32, [NEW]);
    const value = await writer.encode(id);
    expect(value.startsWith(`${id}.`)).toBe(true);
    expect(await writer.encode(id)).toBe(value); // the remembered signature is the same one
    expect(await writer.decode(value)).toBe(id);
    expect(await new IdCodec(32, [NEW]).decode(value)).toBe(id); // a fresh codec verifies by HMAC
  });

  it('reads a value signed with an older secret, and re-signs it with the first one', async () => {
    const id = generateId(32);
    const oldValue = await new IdCodec(32, [OLD]).encode(id);
    const rotated = new IdCodec(32, [NEW, OLD]);
    expect(await rotated.decode(oldValue)).toBe(id);
    const reissued = await rotated.encode(id);
    expect(reissued).not.toBe(oldValue);
    expect(await new IdCodec(32, [NEW]).decode(reissued)).toBe(id);
    expect(await new IdCodec(32, [NEW]).decode(oldValue)).toBeUndefined();
  });

  it('trusts nothing a client sends because of what it signed before', async () => {
    const codec = new IdCodec(32, [NEW]);
    const id = generateId(32);
    const value = await codec.encode(id);
    const signature = value.slice(id.length + 1);
    const otherId = generateId(32);
    expect(await codec.decode(`${otherId}.${signature}`)).toBeUndefined();
    expect(await codec.decode(id)).toBeUndefined();
    const lastChanged = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
    expect(await codec.decode(`${id}.${lastChanged}`)).toBeUndefined();
  });
});
