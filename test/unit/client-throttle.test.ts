/** The /oauth/token throttle's rules (issue 9, item 8), on the in-memory counter. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAILED_ATTEMPTS_PER_WINDOW, THROTTLE_WINDOW_SECONDS, throttleKey, throttleWindowAt, withinAttemptBudget } from '../../shared/domain/auth/throttle.js';
import { OAuthError } from '../../shared/domain/errors.js';
import { FixedClock, MemoryClientThrottle } from '../support/fakes.js';

describe('throttle windows and keys', () => {
  it('are fixed one-minute windows and a fixed-length hash of any client id and address', () => {
    expect([FAILED_ATTEMPTS_PER_WINDOW, THROTTLE_WINDOW_SECONDS]).toEqual([10, 60]);
    expect(throttleWindowAt(new Date('2026-01-15T10:00:59.999Z'))).toEqual({ start: new Date('2026-01-15T10:00:00.000Z'), end: new Date('2026-01-15T10:01:00.000Z') });
    expect(throttleWindowAt(new Date('2026-01-15T10:01:00.000Z')).start).toEqual(new Date('2026-01-15T10:01:00.000Z'));
    expect(throttleKey('c'.repeat(3000), '192.0.2.1')).toMatch(/^[0-9a-f]{64}$/);
    expect(throttleKey('a', '192.0.2.1')).not.toBe(throttleKey('b', '192.0.2.1'));
    expect(throttleKey('a', '192.0.2.1')).not.toBe(throttleKey('a', '192.0.2.2'));
  });
});

describe('the README', () => {
  it('states the budget and the window the code uses', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`fixed one-minute windows, shared by every instance (in the table). After ${FAILED_ATTEMPTS_PER_WINDOW} failures`);
    expect(readme).toContain(`${FAILED_ATTEMPTS_PER_WINDOW} failed attempts for a client id from one address in the current minute`);
    expect(THROTTLE_WINDOW_SECONDS).toBe(60); // "one-minute", "60 s at most"
  });
});

describe('withinAttemptBudget', () => {
  const setup = () => {
    const clock = new FixedClock(new Date('2026-01-15T10:00:45.200Z'));
    return { clock, clientThrottle: new MemoryClientThrottle() };
  };
  const at = (clientId: string, sourceIp = '192.0.2.1') => ({ clientId, sourceIp });
  const wrong = async () => undefined;
  const right = async () => 'client';

  it('refuses the attempt after the budget of failures with 429 and the seconds left in the window', async () => {
    const deps = setup();
    for (let i = 0; i < 10; i++) expect(await withinAttemptBudget(at('c'), wrong, deps)).toBeUndefined();
    const refused = await withinAttemptBudget(at('c'), right, deps).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OAuthError);
    expect(refused).toMatchObject({ code: 'too_many_attempts', status: 429, extensions: { retry_after_seconds: 15 } });
    deps.clock.advance(14_800);
    expect(await withinAttemptBudget(at('c'), right, deps)).toBe('client');
  });

  it('counts failures only, and each client id and address apart', async () => {
    const deps = setup();
    for (let i = 0; i < 9; i++) await withinAttemptBudget(at('c'), wrong, deps);
    for (let i = 0; i < 20; i++) expect(await withinAttemptBudget(at('c'), right, deps)).toBe('client');
    await withinAttemptBudget(at('c'), wrong, deps);
    await expect(withinAttemptBudget(at('c'), right, deps)).rejects.toThrow(/too many failed attempts/);
    expect(await withinAttemptBudget(at('other'), right, deps)).toBe('client');
    expect(await withinAttemptBudget(at('c', '198.51.100.20'), right, deps)).toBe('client');
  });

  it('keeps an attempt that threw counted (a failure of the check is not a success)', async () => {
    const deps = setup();
    for (let i = 0; i < 10; i++) await expect(withinAttemptBudget(at('c'), () => Promise.reject(new Error('down')), deps)).rejects.toThrow('down');
    await expect(withinAttemptBudget(at('c'), right, deps)).rejects.toBeInstanceOf(OAuthError);
  });
});
