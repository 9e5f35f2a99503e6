import { describe, expect, it } from 'vitest';
import { JoseAccessTokens, parseSigningKeys } from '../../shared/adapters/access-tokens.js';
import { authenticateMerchant, issueAccessToken, parseBasicAuth } from '../../shared/domain/auth/auth.js';
import { ForbiddenError, OAuthError, UnauthorizedError } from '../../shared/domain/errors.js';
import { apiKeyDigest, hashSecret, verifySecret } from '../../shared/domain/auth/secret-hash.js';
import { FixedClock, MemoryClientThrottle, MemoryMerchantDirectory } from '../support/fakes.js';

const clock = new FixedClock();
const keyA = { kid: 'k-a', secret: new TextEncoder().encode('a'.repeat(48)) };
const keyB = { kid: 'k-b', secret: new TextEncoder().encode('b'.repeat(48)) };
const tokens = new JoseAccessTokens(async () => [keyA], clock);

const merchants = new MemoryMerchantDirectory(
  [
    { entity_id: 'm-1', display_name: 'One', default_expiry_minutes: 60, active: true },
    { entity_id: 'm-2', display_name: 'Two', default_expiry_minutes: 60, active: true },
    { entity_id: 'm-off', display_name: 'Off', default_expiry_minutes: 60, active: false },
  ],
  [
    { client_id: 'c-1', entity_id: 'm-1', secret_hash: hashSecret('s-1') },
    { client_id: 'c-off', entity_id: 'm-off', secret_hash: hashSecret('s-off') },
    { client_id: 'c-2', entity_id: 'm-2', secret_hash: hashSecret('s-2') },
  ],
  { [apiKeyDigest('key-1')]: 'm-1', [apiKeyDigest('key-2')]: 'm-2' },
);
const deps = { merchants, tokens, clientThrottle: new MemoryClientThrottle(), clock };

describe('secret hashing', () => {
  it('verifies the right secret only, with a fresh salt each time', async () => {
    const h = hashSecret('hunter2');
    expect(await verifySecret('hunter2', h)).toBe(true);
    expect(await verifySecret('hunter3', h)).toBe(false);
    expect(hashSecret('hunter2')).not.toBe(h);
    expect(h).not.toContain('hunter2');
    expect(await verifySecret('x', 'garbage')).toBe(false);
  });

  it('verifies off the event loop: other work runs while the hash is computed', async () => {
    const h = hashSecret('hunter2');
    const order: string[] = [];
    const immediate = new Promise<void>((resolve) => setImmediate(() => resolve(void order.push('event loop turned'))));
    const verdict = verifySecret('hunter2', h).then((ok) => (order.push('verified'), ok));
    // A synchronous hash would settle in a microtask, before the loop turns; the async one after.
    await Promise.all([immediate, verdict]);
    expect(order).toEqual(['event loop turned', 'verified']);
    expect(await verdict).toBe(true);
  });
});

describe('HTTP Basic client authentication', () => {
  it('parses form-encoded credentials (RFC 6749 §2.3.1)', () => {
    const header = 'Basic ' + Buffer.from('my%20client:p%3Ass').toString('base64');
    expect(parseBasicAuth(header)).toEqual({ client_id: 'my client', client_secret: 'p:ss' });
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    expect(parseBasicAuth('Basic ' + Buffer.from('no-colon').toString('base64'))).toBeUndefined();
  });
});

describe('issueAccessToken', () => {
  it('issues a Bearer token for valid client credentials', async () => {
    const out = await issueAccessToken({ grant_type: 'client_credentials', client_id: 'c-1', client_secret: 's-1' }, undefined, deps, '192.0.2.1');
    expect(out).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(await tokens.verify(out.access_token)).toEqual({ entity_id: 'm-1', client_id: 'c-1' });
  });

  it('accepts HTTP Basic credentials', async () => {
    const out = await issueAccessToken({ grant_type: 'client_credentials' }, { client_id: 'c-1', client_secret: 's-1' }, deps, '192.0.2.1');
    expect(out.token_type).toBe('Bearer');
  });

  it.each([
    [{ grant_type: 'client_credentials', client_id: 'c-1', client_secret: 'wrong' }, 'invalid_client'],
    [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 's-1' }, 'invalid_client'],
    [{ grant_type: 'client_credentials', client_id: 'c-off', client_secret: 's-off' }, 'invalid_client'],
    [{ grant_type: 'client_credentials' }, 'invalid_client'],
    [{ grant_type: 'password', client_id: 'c-1', client_secret: 's-1' }, 'unsupported_grant_type'],
    [{ client_id: 'c-1', client_secret: 's-1' }, 'invalid_request'],
  ])('refuses %j with %s', async (form, code) => {
    const err = await issueAccessToken(form, undefined, deps, '192.0.2.1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect((err as OAuthError).code).toBe(code);
    expect((err as OAuthError).status).toBe(code === 'invalid_client' ? 401 : 400);
  });
});

describe('access tokens', () => {
  it('carry issuer, audience, expiry, entity and key id', async () => {
    const token = await tokens.issue({ entity_id: 'm-1', client_id: 'c-1' }, 3600);
    const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'HS256', kid: 'k-a', typ: 'at+jwt' });
    expect(payload).toMatchObject({ iss: 'paylink', aud: 'paylink-api', entity_id: 'm-1', sub: 'c-1' });
    expect(payload.exp - payload.iat).toBe(3600);
  });

  it('expire', async () => {
    const c = new FixedClock();
    const t = new JoseAccessTokens(async () => [keyA], c);
    const token = await t.issue({ entity_id: 'm-1', client_id: 'c-1' }, 60);
    c.advance(61_000);
    expect(await t.verify(token)).toBeUndefined();
  });

  it('survive a key rotation while the old key is still listed, and not after', async () => {
    const old = await tokens.issue({ entity_id: 'm-1', client_id: 'c-1' }, 3600);
    expect(await new JoseAccessTokens(async () => [keyB, keyA], clock).verify(old)).toEqual({ entity_id: 'm-1', client_id: 'c-1' });
    expect(await new JoseAccessTokens(async () => [keyB], clock).verify(old)).toBeUndefined();
  });

  it('reject tampered tokens and other algorithms', async () => {
    const token = await tokens.issue({ entity_id: 'm-1', client_id: 'c-1' }, 3600);
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ entity_id: 'm-2', client_id: 'c-1', iss: 'paylink', aud: 'paylink-api', exp: 9e9, iat: 1 })).toString('base64url');
    expect(await tokens.verify(`${h}.${forged}.${s}`)).toBeUndefined();
    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: 'k-a' })).toString('base64url');
    expect(await tokens.verify(`${none}.${forged}.`)).toBeUndefined();
  });

  it('parses key material as Secrets Manager holds it', () => {
    expect(parseSigningKeys(JSON.stringify({ kid: 'k1', secret: 'x'.repeat(64) }))[0]?.kid).toBe('k1');
    expect(() => parseSigningKeys(JSON.stringify({ kid: 'k1', secret: 'short' }))).toThrow();
  });
});

describe('authenticateMerchant', () => {
  const tokenFor = (entity_id: string) => tokens.issue({ entity_id, client_id: entity_id.replace(/^m-/, 'c-') }, 3600);

  it('returns the merchant when key and token agree', async () => {
    const m = await authenticateMerchant({ apiKey: 'key-1', authorization: `Bearer ${await tokenFor('m-1')}` }, deps);
    expect(m.entity_id).toBe('m-1');
  });

  it('is 401 without a key, without a token, with a bad key or a bad token', async () => {
    const good = `Bearer ${await tokenFor('m-1')}`;
    for (const headers of [
      { authorization: good },
      { apiKey: 'key-1' },
      { apiKey: 'key-1', authorization: 'Basic abc' },
      { apiKey: 'unknown', authorization: good },
      { apiKey: 'key-1', authorization: 'Bearer not.a.token' },
    ]) {
      await expect(authenticateMerchant(headers, deps)).rejects.toBeInstanceOf(UnauthorizedError);
    }
  });

  it('is 401 for a valid token whose client no longer exists, or that names another merchant than its client', async () => {
    const removed = await tokens.issue({ entity_id: 'm-1', client_id: 'c-deleted' }, 3600);
    await expect(authenticateMerchant({ apiKey: 'key-1', authorization: `Bearer ${removed}` }, deps)).rejects.toThrow(/client/);
    const mismatched = await tokens.issue({ entity_id: 'm-1', client_id: 'c-2' }, 3600);
    await expect(authenticateMerchant({ apiKey: 'key-1', authorization: `Bearer ${mismatched}` }, deps)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('is 403 when key and token belong to different merchants', async () => {
    await expect(authenticateMerchant({ apiKey: 'key-2', authorization: `Bearer ${await tokenFor('m-1')}` }, deps)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
  });
});
