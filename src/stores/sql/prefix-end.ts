/**
 * The end of the range of ids that start with a prefix, for `keys(prefix)` as a range on
 * the primary key (`id >= prefix AND id < end`).
 */

const LAST_CODE_POINT = 0x10ffff;
const FIRST_SURROGATE = 0xd800;
const AFTER_SURROGATES = 0xe000;

/**
 * The least string greater than every string that starts with `prefix`, in code point order
 * (the order of the id column's byte-wise collations: UTF-8 bytes compare as code points do);
 * undefined when there is none (the empty prefix, or one of only U+10FFFF), every id to the
 * end then. The last code point is moved to the next one, skipping the surrogates, which are
 * no characters; a last U+10FFFF is dropped and the one before it moved instead.
 */
export function prefixEnd(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (character) => character.codePointAt(0)!);
  while (codePoints.length > 0) {
    const next = codePoints.pop()! + 1;
    if (next <= LAST_CODE_POINT) {
      codePoints.push(next === FIRST_SURROGATE ? AFTER_SURROGATES : next);
      return String.fromCodePoint(...codePoints);
    }
  }
  return undefined;
}
