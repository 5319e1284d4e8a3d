/**
 * Comparisons whose time does not depend on where the inputs differ: a signature or a
 * token checked with `===` would tell an attacker, by its timing, how much of a guess is
 * right. (Only the lengths may leak; both sides are of public, fixed lengths here.)
 */
export function equalText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let index = 0; index < a.length; index++) difference |= a.charCodeAt(index) ^ b.charCodeAt(index);
  return difference === 0;
}

