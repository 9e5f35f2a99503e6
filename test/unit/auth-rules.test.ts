/**
 * Merchant authentication rules the mutation run found untested (issue 9): how Basic and Bearer
 * headers are read, what a stored secret hash must hold to be accepted, answers that do not tell
 * which client ids exist, the failed-attempt budget per client id and address, and merchants that
 * are deactivated or gone.
 */
import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JoseAccessTokens } from '../../shared/adapters/access-tokens.js';
import { authenticateMerchant, issueAccessToken, parseBasicAuth } from '../../shared/domain/auth/auth.js';
import { apiKeyDigest, hashSecret, verifySecret } from '../../shared/domain/auth/secret-hash.js';
import { OAuthError, UnauthorizedError } from '../../shared/domain/errors.js';
import { FixedClock, MemoryClientThrottle, MemoryMerchantDirectory } from '../support/fakes.js';

const clock = new FixedClock();
const tokens = new JoseAccessTokens(async () => [{ kid: 'k-a', secret: new TextEncoder().encode('a'.repeat(48)) }], clock);
const basic = (credentials: string) => 'Basic ' + Buffer.from(credentials).toString('base64');

const merchant = (entity_id: string, active = true) => ({ entity_id, display_name: entity_id, default_expiry_minutes: 60, active });
const merchants = new MemoryMerchantDirectory(
  [merchant('m-1'), merchant('m-2'), merchant('m-off', false)],
  [
    { client_id: 'c-1', entity_id: 'm-1', secret_hash: hashSecret('s-1') },
    { client_id: 'c-2', entity_id: 'm-2', secret_hash: hashSecret('s-2') },
    { client_id: 'c-off', entity_id: 'm-off', secret_hash: hashSecret('s-off') },
    { client_id: 'c-gone', entity_id: 'm-gone', secret_hash: hashSecret('s-gone') },
  ],
  { [apiKeyDigest('key-1')]: 'm-1', [apiKeyDigest('key-off')]: 'm-off', [apiKeyDigest('key-gone')]: 'm-gone' },
);
const oauthDeps = () => ({ merchants, tokens, clientThrottle: new MemoryClientThrottle(), clock });
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => e);

describe('the Authorization: Basic header', () => {
  const encoded = Buffer.from('c-1:s-1').toString('base64');

  it('is absent or not Basic: no credentials', () => {
    expect(parseBasicAuth(undefined)).toBeUndefined();
    expect(parseBasicAuth(`NotBasic ${encoded}`)).toBeUndefined();
    expect(parseBasicAuth(`Basic ${encoded} c-2:s-2`)).toBeUndefined();
  });

  it('allows any whitespace after the scheme and at the end', () => {
    const credentials = { client_id: 'c-1', client_secret: 's-1' };
    expect(parseBasicAuth(`Basic    ${encoded}`)).toEqual(credentials);
    expect(parseBasicAuth(`basic ${encoded}  `)).toEqual(credentials);
  });

  it('decodes "+" as a space (form encoding, RFC 6749 §2.3.1) and keeps an empty client id', () => {
    expect(parseBasicAuth(basic('my+client:p+ss+word'))).toEqual({ client_id: 'my client', client_secret: 'p ss word' });
    expect(parseBasicAuth(basic(':s-1'))).toEqual({ client_id: '', client_secret: 's-1' });
  });

  it('is no credentials when the form encoding is broken', () => {
    expect(parseBasicAuth(basic('c%zz:s-1'))).toBeUndefined();
  });
});

describe('stored client secret hashes', () => {
  it('verify with the cost parameters they were made with', async () => {
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('s-1', salt, 32, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifySecret('s-1', stored)).toBe(true);
    expect(await verifySecret('s-2', stored)).toBe(false);
  });

  it('are refused when another scheme or an empty part, even with the right secret', async () => {
    const parts = hashSecret('s-1').split('$');
    expect(parts).toHaveLength(6);
    expect(await verifySecret('s-1', ['bcrypt', ...parts.slice(1)].join('$'))).toBe(false);
    for (const blank of [1, 2, 3, 4, 5]) {
      const stored = parts.map((part, i) => (i === blank ? '' : part)).join('$');
      expect(await verifySecret('s-1', stored), stored).toBe(false);
    }
    expect(await verifySecret('anything', parts.slice(0, 5).join('$') + '$')).toBe(false);
    expect(await verifySecret('s-1', hashSecret('s-1', Buffer.alloc(0)))).toBe(false);
  });
});

describe('issueAccessToken', () => {
  const form = (client_id?: string, client_secret?: string) => ({ grant_type: 'client_credentials', client_id, client_secret });

  it('refuses credentials sent both in the body and with HTTP Basic, even partly', async () => {
    const viaBasic = { client_id: 'c-1', client_secret: 's-1' };
    for (const body of [form('c-1', 's-1'), form('c-1'), form(undefined, 's-1')]) {
      expect(await refusal(issueAccessToken(body, viaBasic, oauthDeps(), '192.0.2.1'))).toMatchObject({ code: 'invalid_request', status: 400 });
    }
  });

  it('answers a missing secret, an unknown client, a wrong secret and an inactive or missing merchant alike', async () => {
    const answers = [];
    for (const body of [form('c-1'), form(undefined, 's-1'), form('nobody', 's-1'), form('c-1', 's-2'), form('c-off', 's-off'), form('c-gone', 's-gone')]) {
      const err = await refusal(issueAccessToken(body, undefined, oauthDeps(), '192.0.2.1'));
      expect(err).toBeInstanceOf(OAuthError);
      answers.push({ code: (err as OAuthError).code, status: (err as OAuthError).status, message: (err as OAuthError).message });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
      new Set([JSON.stringify({ code: 'invalid_client', status: 401, message: 'client authentication failed' })]),
    );
  });

  it('spends the failed-attempt budget of one client id from one address only', async () => {
    const deps = oauthDeps();
    for (let i = 0; i < 10; i++) await refusal(issueAccessToken(form('c-1', 'wrong'), undefined, deps, '192.0.2.1'));
    expect(await refusal(issueAccessToken(form('c-1', 's-1'), undefined, deps, '192.0.2.1'))).toMatchObject({ code: 'too_many_attempts', status: 429 });
    expect(await issueAccessToken(form('c-2', 's-2'), undefined, deps, '192.0.2.1')).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(await issueAccessToken(form('c-1', 's-1'), undefined, deps, '198.51.100.7')).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  });
});

describe('authenticateMerchant', () => {
  const deps = { merchants, tokens };
  const bearer = async (entity_id: string, client_id: string) => `Bearer ${await tokens.issue({ entity_id, client_id }, 3600)}`;

  it('reads the Bearer token with any whitespace around it, and nothing else', async () => {
    const token = (await bearer('m-1', 'c-1')).slice('Bearer '.length);
    expect((await authenticateMerchant({ apiKey: 'key-1', authorization: `Bearer   ${token}` }, deps)).entity_id).toBe('m-1');
    expect((await authenticateMerchant({ apiKey: 'key-1', authorization: `bearer ${token}  ` }, deps)).entity_id).toBe('m-1');
    for (const authorization of [`NotBearer ${token}`, `Bearer ${token} extra`]) {
      expect(await refusal(authenticateMerchant({ apiKey: 'key-1', authorization }, deps))).toBeInstanceOf(UnauthorizedError);
    }
  });

  it('tells the caller which credential is missing or not valid', async () => {
    const good = await bearer('m-1', 'c-1');
    expect(await refusal(authenticateMerchant({ authorization: good }, deps))).toMatchObject({ status: 401, message: 'the x-api-key header is required' });
    expect(await refusal(authenticateMerchant({ apiKey: 'key-1', authorization: 'Basic YzoxOnMtMQ==' }, deps))).toMatchObject({
      status: 401,
      message: 'an Authorization: Bearer token is required',
    });
    expect(await refusal(authenticateMerchant({ apiKey: 'key-1' }, deps))).toMatchObject({ status: 401, message: 'an Authorization: Bearer token is required' });
    expect(await refusal(authenticateMerchant({ apiKey: 'nope', authorization: good }, deps))).toMatchObject({ status: 401, message: 'the API key is not valid' });
    expect(await refusal(authenticateMerchant({ apiKey: 'key-1', authorization: 'Bearer x.y.z' }, deps))).toMatchObject({
      status: 401,
      message: 'the access token is not valid or has expired',
    });
  });

  it('is 401 for a deactivated or removed merchant, even with its own key and a token issued before', async () => {
    for (const [apiKey, entity, client] of [['key-off', 'm-off', 'c-off'], ['key-gone', 'm-gone', 'c-gone']] as const) {
      const err = await refusal(authenticateMerchant({ apiKey, authorization: await bearer(entity, client) }, deps));
      expect(err).toBeInstanceOf(UnauthorizedError);
    }
  });
});
