import { createHash } from 'node:crypto';

export const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * An id of `length` characters of `alphabet` derived from `seed`: the same stack, logical id
 * and account give the same physical id on every start, as a deployed stack keeps its ids.
 *
 * @example
 * ```ts
 * stableId('restapi/000000000000/MyStack/Api', 10); // e.g. 'k3x9q0c2ab', every time
 * ```
 */
export function stableId(seed: string, length: number, alphabet = LOWER): string {
  let out = '';
  for (let round = 0; out.length < length; round++) {
    const bytes = createHash('sha256').update(`${round}:${seed}`).digest();
    for (const byte of bytes) {
      if (out.length === length) break;
      out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}
