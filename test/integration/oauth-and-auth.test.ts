import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { call, merchantSession, testSandbox, tokenFor } from '../support/api-client.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await testSandbox();
});
afterAll(async () => {
  await sb.stop();
});

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
});

describe('POST /oauth/token', () => {
  it('issues a Bearer JWT for credentials in the body', async () => {
    const r = await call(sb.url, 'POST', '/oauth/token', form({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret' }));
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(String(r.body.access_token).split('.')).toHaveLength(3);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('issues a token for credentials sent with HTTP Basic', async () => {
    const basic = 'Basic ' + Buffer.from('demo-client-2:demo-secret-2').toString('base64');
    const r = await call(sb.url, 'POST', '/oauth/token', form({ grant_type: 'client_credentials' }, { authorization: basic }));
    expect(r.status).toBe(200);
  });

  it('is 401 invalid_client for a wrong secret or unknown client', async () => {
    for (const fields of [
      { grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'nope' },
      { grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'demo-secret' },
    ]) {
      const r = await call(sb.url, 'POST', '/oauth/token', form(fields));
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_client');
    }
  });

  it('is 400 unsupported_grant_type for another grant', async () => {
    const r = await call(sb.url, 'POST', '/oauth/token', form({ grant_type: 'password', client_id: 'demo-client', client_secret: 'demo-secret' }));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('unsupported_grant_type');
  });

  it('is 400 invalid_request for a JSON body or a repeated parameter', async () => {
    const json = await call(sb.url, 'POST', '/oauth/token', { json: { grant_type: 'client_credentials' } });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
    const repeated = await call(sb.url, 'POST', '/oauth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=a&client_id=b&client_secret=x',
    });
    expect(repeated.status).toBe(400);
  });
});

describe('authentication of /payment/v2', () => {
  const path = '/payment/v2/payment-links';

  it('is 401 problem+json without an API key or without a token', async () => {
    const token = await tokenFor(sb.url, 'demo-client', 'demo-secret');
    const variants: Record<string, string>[] = [{ authorization: `Bearer ${token}` }, { 'x-api-key': 'demo-api-key' }, {}];
    for (const headers of variants) {
      const r = await call(sb.url, 'GET', path, { headers });
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      expect(r.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    }
  });

  it('is 401 with an unknown API key or a forged token', async () => {
    const token = await tokenFor(sb.url, 'demo-client', 'demo-secret');
    expect((await call(sb.url, 'GET', path, { headers: { 'x-api-key': 'wrong', authorization: `Bearer ${token}` } })).status).toBe(401);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await call(sb.url, 'GET', path, { headers: { 'x-api-key': 'demo-api-key', authorization: `Bearer ${forged}` } })).status).toBe(401);
  });

  it('is 403 when the key and the token belong to different merchants', async () => {
    const token = await tokenFor(sb.url, 'demo-client', 'demo-secret');
    const r = await call(sb.url, 'GET', path, { headers: { 'x-api-key': 'demo-api-key-2', authorization: `Bearer ${token}` } });
    expect(r.status).toBe(403);
    expect(r.body.status).toBe(403);
  });

  it('lets a matching pair through', async () => {
    const m = await merchantSession(sb.url);
    expect((await m.get(path)).status).toBe(200);
  });
});

describe('routing', () => {
  it('is 404 problem+json for an unknown path and 405 with Allow for a known path and another method', async () => {
    const unknown = await call(sb.url, 'GET', '/payment/v2/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    const wrongMethod = await call(sb.url, 'GET', '/oauth/token');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});
