/** Unpadded base64url (RFC 4648 §5) on Uint8Array, for runtimes without Buffer. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Character code → 6-bit value, 255 for a character outside the alphabet. */
const VALUES = new Uint8Array(128).fill(255);
for (let index = 0; index < ALPHABET.length; index++) VALUES[ALPHABET.charCodeAt(index)] = index;

export function toBase64url(bytes: Uint8Array): string {
  let text = '';
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const triple = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!;
    text += ALPHABET[triple >> 18]! + ALPHABET[(triple >> 12) & 63]! + ALPHABET[(triple >> 6) & 63]! + ALPHABET[triple & 63]!;
  }
  const left = bytes.length - index;
  if (left === 1) {
    const single = bytes[index]!;
    text += ALPHABET[single >> 2]! + ALPHABET[(single & 3) << 4]!;
  } else if (left === 2) {
    const pair = (bytes[index]! << 8) | bytes[index + 1]!;
    text += ALPHABET[pair >> 10]! + ALPHABET[(pair >> 4) & 63]! + ALPHABET[(pair & 15) << 2]!;
  }
  return text;
}

/**
 * Decodes unpadded base64url, stopping at the first character outside the alphabet as
 * Buffer does (callers test the text against a pattern first and re-encode to insist on
 * the canonical spelling).
 */
export function fromBase64url(text: string): Uint8Array {
  const bytes = new Uint8Array(Math.floor((text.length * 3) / 4));
  let length = 0;
  let bits = 0;
  let pending = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const value = code < 128 ? VALUES[code]! : 255;
    if (value === 255) break;
    bits = (bits << 6) | value;
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      bytes[length++] = (bits >> pending) & 255;
    }
  }
  return bytes.subarray(0, length);
}
