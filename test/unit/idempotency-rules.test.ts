/**
 * Idempotency-Key at its edges (mutation testing, issue 9): a claim holds its key for the whole
 * lease, and fingerprints stay the same across releases.
 */
import { describe, expect, it } from 'vitest';
import { IdempotencyConflictError } from '../../shared/domain/errors.js';
import { requestFingerprint, runIdempotent } from '../../shared/domain/idempotency/idempotency.js';
import { FixedClock, MemoryIdempotencyStore } from '../support/fakes.js';

const ok = (body: string) => ({ statusCode: 201, headers: {}, body });
const LEASE_MS = 15_000;

describe('a request still running', () => {
  it('holds its key until the last millisecond of its lease: the same request meanwhile is a 409 and the work runs once', async () => {
    const clock = new FixedClock();
    const deps = { idempotency: new MemoryIdempotencyStore(clock), clock };
    const request = { key: 'm-1#k', fingerprint: 'h', leaseMs: LEASE_MS };
    const duplicates: unknown[] = [];
    let runs = 0;
    const first = await runIdempotent(
      request,
      async () => {
        runs++;
        duplicates.push(await runIdempotent(request, async () => (runs++, ok('twice')), deps).catch((e: unknown) => e));
        clock.advance(LEASE_MS);
        duplicates.push(await runIdempotent(request, async () => (runs++, ok('twice')), deps).catch((e: unknown) => e));
        return ok('once');
      },
      deps,
    );
    expect(duplicates).toHaveLength(2);
    for (const d of duplicates) expect(d).toBeInstanceOf(IdempotencyConflictError);
    expect(runs).toBe(1);
    expect(first).toEqual({ response: ok('once'), replayed: false });
    expect(await runIdempotent(request, async () => ok('later'), deps)).toEqual({ response: ok('once'), replayed: true });
  });
});

describe('request fingerprints', () => {
  it('are the SHA-256 of "METHOD path\\nbody", so a retry across a release still matches the stored record', () => {
    // sha256('POST /payment-links\n{"amount":12000}')
    const expected = 'df616623c2070cadce1b0bd4acf6741a3fef9ef0bbca07118f3f405896f0f12e';
    expect(requestFingerprint('POST', '/payment-links', '{"amount":12000}')).toBe(expected);
    expect(requestFingerprint('post', '/payment-links', '{"amount":12000}')).toBe(expected);
  });
});
