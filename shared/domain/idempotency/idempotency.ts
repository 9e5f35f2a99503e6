/**
 * Idempotency-Key for POSTs (as Stripe and Adyen do it, and the IETF draft says): the same key and
 * the same request within 24 hours returns the first response; the same key with another request
 * is a 422; a key whose first request is still running is a 409 (retry later). Keys are scoped to
 * the merchant. Only processed outcomes (below 400) are remembered: a rejected request (4xx) or a
 * failure (5xx, an exception) frees the key, so the caller can correct or retry under the same key.
 *
 * A claim in progress holds the key for a lease, its function's timeout plus a margin. An attempt
 * that died (Lambda stopped it, the process crashed) leaves its claim behind; once the lease has
 * run out, a retry of the same request takes it over and runs again, told through
 * IdempotentAttempt what to look for, so it finishes the work instead of doing it twice.
 */
import { createHash } from 'node:crypto';
import { IdempotencyConflictError, IdempotencyMismatchError, MalformedRequestError } from '../errors.js';
import type { Clock, IdempotencyStore, StoredResponse } from '../ports.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * How long after its function's timeout a claim is still held: by then Lambda has stopped the
 * attempt, and a write it sent just before has landed.
 */
export const LEASE_MARGIN_MS = 5_000;

/** How long a claim in progress holds its key: the function's timeout plus the margin. */
export const claimLeaseMs = (functionTimeoutSeconds: number): number => functionTimeoutSeconds * 1000 + LEASE_MARGIN_MS;

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

/**
 * What the work under a key is told. `id` names what the request creates (the link's id, the
 * resend's notification, the rotation): the same on every attempt under one claim, so a re-run
 * after a crash finds what the dead attempt wrote instead of making a second one.
 */
export interface IdempotentAttempt {
  id: string;
  /** A re-run: an earlier attempt of this request died holding the key, maybe after doing part of the work. */
  resumed: boolean;
}

export async function runIdempotent(
  request: { key: string; fingerprint: string; leaseMs: number },
  run: (attempt: IdempotentAttempt) => Promise<StoredResponse>,
  deps: { idempotency: IdempotencyStore; clock: Clock },
): Promise<{ response: StoredResponse; replayed: boolean }> {
  const { key, fingerprint } = request;
  const now = deps.clock.now().getTime();
  const expiresAt = new Date(now + IDEMPOTENCY_WINDOW_MS);
  const claim = await deps.idempotency.claim(key, fingerprint, { leaseUntil: new Date(now + request.leaseMs), expiresAt });
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
    response = await run({ id: claim.request_id, resumed: claim.resumed });
  } catch (err) {
    await deps.idempotency.release(key, claim.holder);
    throw err;
  }
  if (response.statusCode >= 400) await deps.idempotency.release(key, claim.holder);
  else await deps.idempotency.complete(key, claim.holder, response, expiresAt);
  return { response, replayed: false };
}
