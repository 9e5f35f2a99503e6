/**
 * Runs a POST under its Idempotency-Key, if it has one. Domain errors are rendered inside the
 * idempotent section so that a 4xx is remembered like a success; an unexpected error is not
 * remembered (the key is released) and propagates to become a 500.
 */
import { DomainError } from '../domain/errors.js';
import { requestFingerprint, runIdempotent, scopedKey, validateIdempotencyKey } from '../domain/idempotency/idempotency.js';
import type { Clock, IdempotencyStore, Merchant } from '../domain/ports.js';
import { header, rawBody, type ApiEvent, type ApiResult } from './api.js';
import { problemResponse } from './problem.js';

export async function idempotentPost(
  event: ApiEvent,
  merchant: Merchant,
  deps: { idempotency: IdempotencyStore; clock: Clock },
  work: () => Promise<ApiResult>,
): Promise<ApiResult> {
  const guarded = async (): Promise<ApiResult> => {
    try {
      return await work();
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
    key,
    fingerprint,
    async () => {
      const result = await guarded();
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
