import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { timeoutSecondsOf } from '../../shared/app/functions.js';
import { IdempotencyConflictError, IdempotencyMismatchError, MalformedRequestError } from '../../shared/domain/errors.js';
import { IDEMPOTENCY_WINDOW_MS, LEASE_MARGIN_MS, claimLeaseMs, requestFingerprint, runIdempotent, scopedKey, validateIdempotencyKey } from '../../shared/domain/idempotency/idempotency.js';
import { FixedClock, MemoryIdempotencyStore } from '../support/fakes.js';

const ok = (body: string) => ({ statusCode: 201, headers: {}, body });
const LEASE_MS = 15_000;
const req = (key: string, fingerprint: string) => ({ key, fingerprint, leaseMs: LEASE_MS });
const times = (from = new FixedClock().now()) => ({ leaseUntil: new Date(from.getTime() + LEASE_MS), expiresAt: new Date(from.getTime() + IDEMPOTENCY_WINDOW_MS) });

describe('runIdempotent', () => {
  it('runs once and replays the first response for the same request', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    let runs = 0;
    const work = async () => ok(`run ${++runs}`);
    const first = await runIdempotent(req('k', 'h1'), work, deps);
    const second = await runIdempotent(req('k', 'h1'), work, deps);
    expect(first).toEqual({ response: ok('run 1'), replayed: false });
    expect(second).toEqual({ response: ok('run 1'), replayed: true });
    expect(runs).toBe(1);
  });

  it('is a 422 for the same key with another request, a 409 while the first is running', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    await runIdempotent(req('k', 'h1'), async () => ok('a'), deps);
    const mismatch = await runIdempotent(req('k', 'h2'), async () => ok('b'), deps).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(IdempotencyMismatchError);
    expect((mismatch as IdempotencyMismatchError).status).toBe(422);
    const running = await (async () => {
      await deps.idempotency.claim('busy-2', 'h1', times());
      return runIdempotent(req('busy-2', 'h1'), async () => ok('c'), deps).catch((e: unknown) => e);
    })();
    expect(running).toBeInstanceOf(IdempotencyConflictError);
    expect((running as IdempotencyConflictError).status).toBe(409);
    await deps.idempotency.claim('busy', 'h1', times());
    await expect(runIdempotent(req('busy', 'h1'), async () => ok('c'), deps)).rejects.toThrow(/still being processed/);
  });

  it('forgets a 5xx or a thrown error so the client can retry', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    await runIdempotent(req('k', 'h'), async () => ({ statusCode: 503, headers: {}, body: '' }), deps);
    await expect(runIdempotent(req('k2', 'h'), async () => Promise.reject(new Error('boom')), deps)).rejects.toThrow('boom');
    expect(deps.idempotency.records.size).toBe(0);
    expect((await runIdempotent(req('k', 'h'), async () => ok('x'), deps)).replayed).toBe(false);
  });

  it('remembers only processed outcomes: a rejected request (4xx) frees the key, so a corrected retry runs', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    for (const status of [400, 404, 409, 413, 422]) {
      await runIdempotent(req(`k${status}`, 'h'), async () => ({ statusCode: status, headers: {}, body: 'bad' }), deps);
      expect(deps.idempotency.records.has(`k${status}`), String(status)).toBe(false);
      // The corrected request, under the same key, runs (a different body is not a mismatch).
      expect(await runIdempotent(req(`k${status}`, 'h-fixed'), async () => ok('x'), deps)).toEqual({ response: ok('x'), replayed: false });
    }
  });
});

describe('runIdempotent after a crash', () => {
  it('holds a claim left in progress for its lease (409), then lets the same request take it over, told its id', async () => {
    const clock = new FixedClock();
    const deps = { idempotency: new MemoryIdempotencyStore(clock), clock };
    const dead = await deps.idempotency.claim('k', 'h', times(clock.now()));
    if (dead.state !== 'claimed') throw new Error('not claimed');
    clock.advance(LEASE_MS);
    await expect(runIdempotent(req('k', 'h'), async () => ok('early'), deps)).rejects.toBeInstanceOf(IdempotencyConflictError);
    clock.advance(1);
    await expect(runIdempotent(req('k', 'other'), async () => ok('other'), deps)).rejects.toBeInstanceOf(IdempotencyMismatchError);
    const seen: unknown[] = [];
    const retry = await runIdempotent(req('k', 'h'), async (attempt) => (seen.push(attempt), ok('resumed')), deps);
    expect(seen).toEqual([{ id: dead.request_id, resumed: true }]);
    expect(retry).toEqual({ response: ok('resumed'), replayed: false });
    // The dead attempt no longer holds the key: what it would record or free is ignored.
    await deps.idempotency.complete('k', dead.holder, ok('dead'), new Date(clock.now().getTime() + IDEMPOTENCY_WINDOW_MS));
    await deps.idempotency.release('k', dead.holder);
    expect(await runIdempotent(req('k', 'h'), async () => ok('again'), deps)).toEqual({ response: ok('resumed'), replayed: true });
  });

  it('tells a first attempt a fresh id that is not a re-run', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    const seen: Array<{ id: string; resumed: boolean }> = [];
    await runIdempotent(req('a', 'h'), async (attempt) => (seen.push(attempt), ok('a')), deps);
    await runIdempotent(req('b', 'h'), async (attempt) => (seen.push(attempt), ok('b')), deps);
    expect(seen.map((s) => s.resumed)).toEqual([false, false]);
    expect(seen[0]!.id).not.toBe(seen[1]!.id);
  });
});

describe('the lease', () => {
  it("is each function's timeout plus the margin, as the README states it for the four routes", () => {
    const routes = ['create-payment-link', 'cancel-payment-link', 'resend-notification', 'rotate-webhook-secret'] as const;
    const leases = new Set(routes.map((fn) => claimLeaseMs(timeoutSecondsOf(fn))));
    expect([...leases]).toEqual([timeoutSecondsOf('create-payment-link') * 1000 + LEASE_MARGIN_MS]);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`the function's timeout plus ${LEASE_MARGIN_MS / 1000} seconds (${[...leases][0]! / 1000} s on these four routes)`);
  });
});

describe('keys and fingerprints', () => {
  it('scopes keys to the merchant', () => {
    expect(scopedKey('m-1', 'abc')).not.toBe(scopedKey('m-2', 'abc'));
  });
  it('fingerprints method, path and body', () => {
    const base = requestFingerprint('POST', '/a', '{"x":1}');
    expect(requestFingerprint('post', '/a', '{"x":1}')).toBe(base);
    expect(requestFingerprint('POST', '/b', '{"x":1}')).not.toBe(base);
    expect(requestFingerprint('POST', '/a', '{"x":2}')).not.toBe(base);
  });
  it('accepts visible ASCII keys up to 255 characters only', () => {
    expect(validateIdempotencyKey('order-123_ABC')).toBe('order-123_ABC');
    for (const bad of ['', 'a b', 'é', 'x'.repeat(256)]) expect(() => validateIdempotencyKey(bad)).toThrow(MalformedRequestError);
  });
});
