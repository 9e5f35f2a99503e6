/**
 * Runs a POST under its Idempotency-Key, if it has one. Domain errors are rendered inside the
 * idempotent section, so a 4xx answer is known there (and frees the key); an unexpected error
 * frees the key too and propagates to become a 500. A claim holds the key for the function's
 * timeout plus a margin (the lease), read from the manifest; `work` is told the attempt (what it
 * creates is named after attempt.id; attempt.resumed after a takeover), or nothing without a key.
 */
import { timeoutSecondsOf, type FunctionName } from '../app/functions.js';
import { DomainError } from '../domain/errors.js';
import {
  claimLeaseMs,
  requestFingerprint,
  runIdempotent,
  scopedKey,
  validateIdempotencyKey,
  type IdempotentAttempt,
} from '../domain/idempotency/idempotency.js';
import type { Clock, IdempotencyStore, Merchant } from '../domain/ports.js';
import { header, rawBody, type ApiEvent, type ApiResult } from './api.js';
import { problemResponse } from './problem.js';

export async function idempotentPost(
  fn: FunctionName,
  event: ApiEvent,
  merchant: Merchant,
  deps: { idempotency: IdempotencyStore; clock: Clock },
  work: (attempt?: IdempotentAttempt) => Promise<ApiResult>,
): Promise<ApiResult> {
  const guarded = async (attempt?: IdempotentAttempt): Promise<ApiResult> => {
    try {
      return await work(attempt);
    } catch (err) {
      if (err instanceof DomainError) return problemResponse(err);
      throw err;
    }
  };
  const rawKey = header(event, 'idempotency-key');
  if (rawKey === undefined) return guarded();
  const key = scopedKey(merchant.entity_id, validateIdempotencyKey(rawKey));
  const fingerprint = requestFingerprint(event.httpMethod, event.path, rawBody(event));
  const { response, replayed } = await runIdempotent(
    { key, fingerprint, leaseMs: claimLeaseMs(timeoutSecondsOf(fn)) },
    async (attempt) => {
      const result = await guarded(attempt);
      return { statusCode: result.statusCode, headers: stringHeaders(result.headers), body: result.body };
    },
    deps,
  );
  return {
    statusCode: response.statusCode,
    headers: { ...response.headers, ...(replayed ? { 'idempotent-replayed': 'true' } : {}) },
    body: response.body,
  };
}

function stringHeaders(headers: ApiResult['headers']): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}
