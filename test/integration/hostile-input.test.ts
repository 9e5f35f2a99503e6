/**
 * Input an attacker (or a buggy client) sends: every answer is a 4xx naming the problem, never a
 * 500, and nothing is created (issue 9, item 5). Over the sandbox's HTTP front, like a caller.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';

const PATH = '/payment/v2/payment-links';
const ctx = useSandboxWithMerchants(beforeAll, afterAll);

const expect4xx = (status: number, what: string) => {
  expect(status, what).toBeGreaterThanOrEqual(400);
  expect(status, what).toBeLessThan(500);
};

describe('hostile input', () => {
  it('reserved keys (__proto__, constructor, prototype) are a 400 naming the place; other names are kept as data', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const body = JSON.stringify(createLinkBody({ order: { reference: `proto-${key}`, additional_data: {} } })).replace(
        '"additional_data":{}',
        `"additional_data":{"${key}":"x"}`,
      );
      const r = await call(ctx.sb.url, 'POST', PATH, { headers: { ...ctx.m1.headers, 'content-type': 'application/json' }, body });
      expect(r.status, `${key}: ${r.text}`).toBe(400);
      expect(r.text).toContain(`/order/additional_data/${key}`);
    }
    const kept = await ctx.m1.post<{ order: { additional_data: Record<string, unknown> } }>(
      PATH,
      createLinkBody({ order: { reference: 'proto-ok', additional_data: { toString: 'x', hasOwnProperty: 'y' } } }),
    );
    expect(kept.status).toBe(201);
    expect(kept.body.order.additional_data).toEqual({ toString: 'x', hasOwnProperty: 'y' });
    expect((await ctx.m1.get<{ items: unknown[] }>(`${PATH}?order_reference=proto-__proto__`)).body.items).toEqual([]);
  });

  it('numbers DynamoDB cannot keep exactly are a 400 naming the place, found by the property tests (issue 9, item 5)', async () => {
    for (const [raw, pointer] of [
      ['{"big":-9007199254740992}', '/order/additional_data/big'],
      ['{"list":[1,12345678901234567890]}', '/order/additional_data/list/1'],
      ['{"tiny":1e-200}', '/order/additional_data/tiny'],
    ] as const) {
      const body = JSON.stringify(createLinkBody({ order: { reference: 'numbers', additional_data: {} } })).replace('"additional_data":{}', `"additional_data":${raw}`);
      const r = await call(ctx.sb.url, 'POST', PATH, { headers: { ...ctx.m1.headers, 'content-type': 'application/json' }, body });
      expect(r.status, `${raw}: ${r.text}`).toBe(400);
      expect(r.text).toContain(pointer);
    }
    const kept = await ctx.m1.post<{ order: { additional_data: Record<string, unknown> } }>(
      PATH,
      createLinkBody({ order: { reference: 'numbers-ok', additional_data: { max: 9007199254740991, min: -9007199254740991, rate: 0.075, zero: 0 } } }),
    );
    expect(kept.status, kept.text).toBe(201);
    expect(kept.body.order.additional_data).toEqual({ max: 9007199254740991, min: -9007199254740991, rate: 0.075, zero: 0 });
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('integers within ±9007199254740991 (2^53−1) and no non-zero value closer to zero than 1e-130');
  });

  it('JSON nested deeper than a sane limit is a 400, not a stack overflow', async () => {
    const depth = 10_000;
    // A complete, otherwise valid body, so nothing else stops it before the nesting does.
    const body = JSON.stringify(createLinkBody({ order: { reference: 'deep', additional_data: {} } })).replace(
      '"additional_data":{}',
      `"additional_data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    );
    const r = await call<{ errors: Array<{ pointer: string }> }>(ctx.sb.url, 'POST', PATH, { headers: { ...ctx.m1.headers, 'content-type': 'application/json' }, body });
    expect(r.status, r.text).toBe(400);
    expect(r.body.errors[0]!.pointer).toMatch(/^\/order\/additional_data(\/a)+$/);
    const list = await ctx.m1.get<{ items: unknown[] }>(`${PATH}?order_reference=deep`);
    expect(list.body.items).toEqual([]);
  });

  it('ids longer than any key DynamoDB takes are a 404 on every {id} route and shopper page', async () => {
    const id = 'x'.repeat(3000);
    expect4xx((await ctx.m1.get(`${PATH}/${id}`)).status, 'get');
    expect4xx((await ctx.m1.post(`${PATH}/${id}/cancel`)).status, 'cancel');
    expect4xx((await ctx.m1.get(`${PATH}/${id}/webhook-deliveries`)).status, 'deliveries');
    expect4xx((await ctx.m1.post(`${PATH}/${id}/notifications`, { channel: 'EMAIL' })).status, 'resend');
    expect4xx((await ctx.m1.post(`/payment/v2/webhook-deliveries/${id}/retry`)).status, 'retry');
    expect4xx((await call(ctx.sb.url, 'GET', `/payment-links/${id}`)).status, 'customer page');
    expect4xx((await call(ctx.sb.url, 'GET', `/payment-links/${id}/return?client_session_id=cs`)).status, 'return');
  });

  it('a 3,000-character client_id on /oauth/token is refused as invalid_client, not a 500', async () => {
    const r = await call(ctx.sb.url, 'POST', '/oauth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'c'.repeat(3000), client_secret: 's' }).toString(),
    });
    expect4xx(r.status, r.text);
  });

  it('query keys and header names such as __proto__ or constructor reach no 500 in the gateway', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const q = await ctx.m1.get(`${PATH}?${name}=1`);
      expect(q.status, `query ${name}: ${q.text}`).not.toBe(500);
      const h = await call(ctx.sb.url, 'GET', PATH, { headers: { ...ctx.m1.headers, [name]: 'x' } });
      expect(h.status, `header ${name}: ${h.text}`).not.toBe(500);
    }
  });
});

describe('shopper-facing errors', () => {
  const expectSafePage = (r: { status: number; headers: Headers; text: string }, what: string) => {
    expect(r.headers.get('content-type'), what).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
    expect(r.headers.get('referrer-policy'), what).toBe('no-referrer');
    expect(r.headers.get('cache-control'), what).toBe('no-store');
    expect(r.text, what).toMatch(/<html/i);
  };

  it('are HTML pages with the page security headers, never problem+json (issue 9, item 7)', async () => {
    const cases: Array<[string, string]> = [
      ['unknown link', '/payment-links/00000000-0000-4000-8000-000000000000'],
      ['over-long id', `/payment-links/${'x'.repeat(3000)}`],
      ['return without a session', '/payment-links/00000000-0000-4000-8000-000000000000/return'],
      ['return with an unknown session', '/payment-links/00000000-0000-4000-8000-000000000000/return?client_session_id=cs-nope'],
    ];
    for (const [what, path] of cases) {
      const r = await call(ctx.sb.url, 'GET', path, { headers: { 'accept-language': 'fr-FR' } });
      expect4xx(r.status, what);
      expectSafePage(r, what);
    }
  });
});

describe('the sandbox gateway after a 413', () => {
  it('keeps answering on the same keep-alive client (issue 9, item 12)', async () => {
    const big = 'x'.repeat(11 * 1024 * 1024);
    const tooLarge = await call(ctx.sb.url, 'POST', PATH, { headers: { ...ctx.m1.headers, 'content-type': 'application/json' }, body: big });
    expect(tooLarge.status).toBe(413);
    for (let i = 0; i < 3; i++) expect((await ctx.m1.get(`${PATH}?limit=1`)).status).toBe(200);
  });

  it('and so does the sandbox PSP after its own 413 (64 KB), answered only once the upload is read', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const tooLarge = await call(ctx.sb.url, 'POST', '/sandbox-psp/v1/client-sessions', { headers: { 'content-type': 'application/json' }, body: big });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('connection')).toBe('close');
    for (let i = 0; i < 3; i++) expect((await ctx.m1.get(`${PATH}?limit=1`)).status).toBe(200);
  });
});
