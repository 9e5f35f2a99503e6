/**
 * Idempotency-Key for POSTs (as Stripe and Adyen do it, and the IETF draft says): the same key and
 * the same request within 24 hours returns the first response; the same key with another request
 * is a 422; a key whose first request is still running is a 409 (retry later). Keys are scoped to
 * the merchant. Only processed outcomes (below 400) are remembered: a rejected request (4xx) or a
 * failure (5xx, an exception) frees the key, so the caller can correct or retry under the same key.
 */
import { createHash } from 'node:crypto';
import { IdempotencyConflictError, IdempotencyMismatchError, MalformedRequestError } from '../errors.js';
import type { Clock, IdempotencyStore, StoredResponse } from '../ports.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function validateIdempotencyKey(key: string): string {
  if (!KEY_PATTERN.test(key)) {
    throw new MalformedRequestError('the Idempotency-Key header must be 1 to 255 visible ASCII characters');
  }
  return key;
}

export function requestFingerprint(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${body}`, 'utf8').digest('hex');
}

export function scopedKey(entityId: string, key: string): string {
  return `${entityId}#${key}`;
}

export async function runIdempotent(
  key: string,
  fingerprint: string,
  run: () => Promise<StoredResponse>,
  deps: { idempotency: IdempotencyStore; clock: Clock },
): Promise<{ response: StoredResponse; replayed: boolean }> {
  const expiresAt = new Date(deps.clock.now().getTime() + IDEMPOTENCY_WINDOW_MS);
  const claim = await deps.idempotency.claim(key, fingerprint, expiresAt);
  if (claim.state !== 'claimed') {
    if (claim.request_hash !== fingerprint) {
      throw new IdempotencyMismatchError('this Idempotency-Key was already used with a different request');
    }
    if (claim.state === 'in_progress') {
      throw new IdempotencyConflictError('a request with this Idempotency-Key is still being processed; retry later');
    }
    return { response: claim.response, replayed: true };
  }
  let response: StoredResponse;
  try {
    response = await run();
  } catch (err) {
    await deps.idempotency.release(key);
    throw err;
  }
  if (response.statusCode >= 400) await deps.idempotency.release(key);
  else await deps.idempotency.complete(key, response, expiresAt);
  return { response, replayed: false };
}
