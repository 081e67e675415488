import { randomFillSync } from 'node:crypto';

// Ids that name things (trace and segment ids, API Gateway's extended request ids, CloudFront's
// ids), several per request: drawn from one pool of random bytes filled a few kilobytes at a
// time, not one `randomBytes` call each. Never for secrets: credentials keep their own bytes.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** `bytes` random bytes from the pool (a view of it: read them before the next call). */
function take(bytes: number): Buffer {
  if (bytes > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at once, asked for ${bytes}`);
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.subarray(used - bytes, used);
}

/** `bytes` random bytes as lowercase hex (`randomHex(8)`: a segment id). */
export const randomHex = (bytes: number): string => take(bytes).toString('hex');

/** `bytes` random bytes as base64url, no padding. */
export const randomBase64url = (bytes: number): string => take(bytes).toString('base64url');
