import { describe, expect, it } from 'vitest';
import {
  KEY_ACTIVATION_DELAY_MS,
  activeSigningKey,
  generateRedirectionKey,
  parseRedirectionKeys,
  rotateKeys,
  type PrivateSigningJwk,
} from '../../shared/adapters/redirection-keys.js';
import { runKeyRotation } from '../../shared/domain/auth/key-rotation.js';
import type { KeyRing } from '../../shared/domain/ports.js';
import { makeHandler } from '../../functions/redirection-key-rotator/handler.js';
import { createLogger } from '../../shared/logger.js';
import { lambdaContext } from '../../sandbox/lambda-context.js';

function memoryRing(initial: PrivateSigningJwk[] = []): KeyRing<PrivateSigningJwk> & { stored: PrivateSigningJwk[]; writes: number } {
  const ring = {
    stored: initial,
    writes: 0,
    read: async () => ring.stored,
    write: async (keys: PrivateSigningJwk[]) => {
      ring.stored = keys;
      ring.writes += 1;
    },
    rotate: rotateKeys,
  };
  return ring;
}

describe('redirection key rotation', () => {
  it('ensure creates the first key only when there is none', async () => {
    const ring = memoryRing();
    const first = await runKeyRotation('ensure', ring);
    expect(first.changed).toBe(true);
    expect(ring.stored).toHaveLength(1);
    const again = await runKeyRotation('ensure', ring);
    expect(again).toEqual({ kids: first.kids, changed: false });
    expect(ring.writes).toBe(1);
  });

  it('rotate publishes a new key and keeps the one that signs now; older keys go', async () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const a = await generateRedirectionKey('a', t0);
    const later = new Date(t0.getTime() + 90 * 86400_000);
    const first = await rotateKeys([a], later);
    expect(first.map((k) => k.kid)).toEqual([first[0]!.kid, 'a']);
    expect(activeSigningKey(first, later)?.kid).toBe('a'); // the new key is published, not signing yet
    expect(activeSigningKey(first, new Date(later.getTime() + KEY_ACTIVATION_DELAY_MS))?.kid).toBe(first[0]!.kid);
    // Rotating again before the new key was active keeps the key that signs, drops the unused one.
    const hasty = await rotateKeys(first, later);
    expect(hasty.map((k) => k.kid)).toEqual([hasty[0]!.kid, 'a']);
    const next = await rotateKeys(first, new Date(later.getTime() + 2 * KEY_ACTIVATION_DELAY_MS));
    expect(next.map((k) => k.kid)).toEqual([next[0]!.kid, first[0]!.kid]);
  });

  it('the only key signs at once, however young (first deployment)', async () => {
    const k = await generateRedirectionKey('only');
    expect(activeSigningKey([k], new Date())?.kid).toBe('only');
    expect(activeSigningKey([], new Date())).toBeUndefined();
  });

  it('the Lambda handler defaults to ensure and logs kids, never key material', async () => {
    const lines: string[] = [];
    const ring = memoryRing();
    const handler = makeHandler({ redirectionKeys: ring, logger: createLogger({ write: (l) => lines.push(l) }) });
    const out = await handler(undefined, lambdaContext('redirection-key-rotator'));
    expect(out.changed).toBe(true);
    expect(await handler({ action: 'ensure' }, lambdaContext('redirection-key-rotator'))).toMatchObject({ changed: false });
    expect((await handler({ action: 'rotate' }, lambdaContext('redirection-key-rotator'))).kids).toHaveLength(2);
    const log = lines.join('\n');
    expect(log).toContain(out.kids[0]!);
    expect(log).not.toContain(ring.stored[0]!.d);
  });

  it('rejects key material that is not a private P-256 JWK', () => {
    expect(() => parseRedirectionKeys('[{"kty":"RSA","kid":"x","d":"y"}]')).toThrow();
    expect(() => parseRedirectionKeys('[{"kty":"EC","crv":"P-256","kid":"x"}]')).toThrow();
  });
});
