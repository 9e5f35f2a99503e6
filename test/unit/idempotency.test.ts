import { describe, expect, it } from 'vitest';
import { IdempotencyConflictError, IdempotencyMismatchError, MalformedRequestError } from '../../shared/domain/errors.js';
import { requestFingerprint, runIdempotent, scopedKey, validateIdempotencyKey } from '../../shared/domain/idempotency/idempotency.js';
import { FixedClock, MemoryIdempotencyStore } from '../support/fakes.js';

const ok = (body: string) => ({ statusCode: 201, headers: {}, body });

describe('runIdempotent', () => {
  it('runs once and replays the first response for the same request', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    let runs = 0;
    const work = async () => ok(`run ${++runs}`);
    const first = await runIdempotent('k', 'h1', work, deps);
    const second = await runIdempotent('k', 'h1', work, deps);
    expect(first).toEqual({ response: ok('run 1'), replayed: false });
    expect(second).toEqual({ response: ok('run 1'), replayed: true });
    expect(runs).toBe(1);
  });

  it('is a 422 for the same key with another request, a 409 while the first is running', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    await runIdempotent('k', 'h1', async () => ok('a'), deps);
    const mismatch = await runIdempotent('k', 'h2', async () => ok('b'), deps).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(IdempotencyMismatchError);
    expect((mismatch as IdempotencyMismatchError).status).toBe(422);
    const running = await (async () => {
      await deps.idempotency.claim('busy-2', 'h1');
      return runIdempotent('busy-2', 'h1', async () => ok('c'), deps).catch((e: unknown) => e);
    })();
    expect(running).toBeInstanceOf(IdempotencyConflictError);
    expect((running as IdempotencyConflictError).status).toBe(409);
    await deps.idempotency.claim('busy', 'h1');
    await expect(runIdempotent('busy', 'h1', async () => ok('c'), deps)).rejects.toThrow(/still being processed/);
  });

  it('forgets a 5xx or a thrown error so the client can retry', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    await runIdempotent('k', 'h', async () => ({ statusCode: 503, headers: {}, body: '' }), deps);
    await expect(runIdempotent('k2', 'h', async () => Promise.reject(new Error('boom')), deps)).rejects.toThrow('boom');
    expect(deps.idempotency.records.size).toBe(0);
    expect((await runIdempotent('k', 'h', async () => ok('x'), deps)).replayed).toBe(false);
  });

  it('remembers only processed outcomes: a rejected request (4xx) frees the key, so a corrected retry runs', async () => {
    const deps = { idempotency: new MemoryIdempotencyStore(), clock: new FixedClock() };
    for (const status of [400, 404, 409, 413, 422]) {
      await runIdempotent(`k${status}`, 'h', async () => ({ statusCode: status, headers: {}, body: 'bad' }), deps);
      expect(deps.idempotency.records.has(`k${status}`), String(status)).toBe(false);
      // The corrected request, under the same key, runs (a different body is not a mismatch).
      expect(await runIdempotent(`k${status}`, 'h-fixed', async () => ok('x'), deps)).toEqual({ response: ok('x'), replayed: false });
    }
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
