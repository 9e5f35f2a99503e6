import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentLinkResourceSchema, problemSchema } from '../../shared/domain/link/schemas.js';
import { call, useSandboxWithMerchants } from '../support/api-client.js';
import { PURSE_CREATE_EXAMPLE, createLinkBody } from '../support/fixtures.js';

const PATH = '/payment/v2/payment-links';
const ctx = useSandboxWithMerchants(beforeAll, afterAll);

function problemPointers(body: Record<string, unknown>): string[] {
  return ((body.errors as Array<{ pointer: string }>) ?? []).map((e) => e.pointer).sort();
}

describe('POST /payment/v2/payment-links', () => {
  it('creates the Purse example and answers 201 with the resource as in 003', async () => {
    const before = Date.now();
    const r = await ctx.m1.post(PATH, PURSE_CREATE_EXAMPLE);
    expect(r.status).toBe(201);
    const parsed = paymentLinkResourceSchema.safeParse(r.body);
    expect(parsed.error).toBeUndefined();
    const link = r.body;
    expect(link).toMatchObject({
      version: 1,
      entity_id: 'demo-entity',
      status: 'CREATED',
      amount: 12000,
      currency: 'EUR',
      capture_mode: 'MANUAL',
      allow_future_usage: false,
      payments: [],
      client_sessions: [],
      order: PURSE_CREATE_EXAMPLE.order,
      customer: PURSE_CREATE_EXAMPLE.customer,
    });
    expect(link.links).toEqual({
      self: { href: `${ctx.sb.url}${PATH}/${link.id}`, method: 'GET' },
      customer_url: { href: `${ctx.sb.url}/payment-links/${link.id}`, method: 'GET' },
      cancel: { href: `${ctx.sb.url}${PATH}/${link.id}/cancel`, method: 'POST' },
    });
    expect(r.headers.get('location')).toBe(`${ctx.sb.url}${PATH}/${link.id}`);
    // Demo merchants default to 24 h.
    const expiresIn = Date.parse(String(link.expires_at)) - before;
    expect(expiresIn).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(expiresIn).toBeLessThan(24 * 3600_000 + 60_000);
    expect(JSON.stringify(link)).not.toContain('9bbce5d2'); // the webhook header secret is never echoed
  });

  it('stores send_by_email / send_by_sms and the IXOPAY expiry option', async () => {
    const r = await ctx.m1.post(PATH, createLinkBody({ expiration_in_minutes: 15, send_by_email: true, send_by_sms: false, customer: { email: 'jane@example.com' } }));
    expect(r.status).toBe(201);
    const stored = await ctx.sb.deps.links.get(String(r.body.id));
    expect(stored).toMatchObject({ send_by_email: true, send_by_sms: false });
    expect(Date.parse(stored!.expires_at) - Date.parse(stored!.created_at)).toBe(15 * 60_000);
  });

  it('is 403 for another merchant’s entity_id', async () => {
    const r = await ctx.m1.post(PATH, createLinkBody({ entity_id: 'demo-entity-2' }));
    expect(r.status).toBe(403);
  });

  it('names every bad field by JSON pointer in a problem+json 400', async () => {
    const r = await ctx.m1.post(PATH, { ...createLinkBody({ amount: -1, currency: 'ZZZ' }), colour: 'red', order: { reference: 'r', foo: 1 } });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(problemSchema.safeParse(r.body).success).toBe(true);
    expect(problemPointers(r.body)).toEqual(['/amount', '/colour', '/order/foo']);
    // Business rules are checked once the shape is right.
    const r2 = await ctx.m1.post(PATH, createLinkBody({ currency: 'ZZZ', amount: 0 }));
    expect(problemPointers(r2.body)).toEqual(['/amount', '/currency']);
  });

  it.each([
    [{ expires_at: new Date(Date.now() - 1000).toISOString() }, '/expires_at'],
    [{ expires_at: new Date(Date.now() + 91 * 86400_000).toISOString() }, '/expires_at'],
    [{ expires_at: new Date(Date.now() + 3600_000).toISOString(), expiration_in_minutes: 10 }, '/expiration_in_minutes'],
    [{ shopper_redirection_url: 'not a url' }, '/shopper_redirection_url'],
    [{ order: undefined }, '/order'],
    [{ amount: 10.5 }, '/amount'],
  ])('rejects %j at %s', async (overrides, pointer) => {
    const r = await ctx.m1.post(PATH, createLinkBody(overrides));
    expect(r.status).toBe(400);
    expect(problemPointers(r.body)).toContain(pointer);
  });

  it('accepts zero with allow_future_usage, and currencies with 0 or 3 decimals', async () => {
    expect((await ctx.m1.post(PATH, createLinkBody({ amount: 0, allow_future_usage: true }))).status).toBe(201);
    expect((await ctx.m1.post(PATH, createLinkBody({ currency: 'JPY', amount: 500 }))).status).toBe(201);
    expect((await ctx.m1.post(PATH, createLinkBody({ currency: 'KWD', amount: 1500 }))).status).toBe(201);
  });

  it('accepts http and loopback URLs in the sandbox configuration', async () => {
    const r = await ctx.m1.post(PATH, createLinkBody({ shopper_redirection_url: 'http://localhost:8080/back', webhook: { url: 'http://127.0.0.1:9999/hook' } }));
    expect(r.status).toBe(201);
  });

  describe('malformed requests are 4xx, never 500', () => {
    it('400 for malformed JSON, an empty body or a JSON array', async () => {
      for (const body of ['{"amount": ', '', '[1,2]', 'null']) {
        const r = await call(ctx.sb.url, 'POST', PATH, { headers: { ...ctx.m1.headers, 'content-type': 'application/json' }, body });
        expect(r.status).toBe(400);
        expect(r.headers.get('content-type')).toBe('application/problem+json');
      }
    });

    it('415 for a body that is not JSON', async () => {
      const r = await call(ctx.sb.url, 'POST', PATH, { headers: { ...ctx.m1.headers, 'content-type': 'text/plain' }, body: '{}' });
      expect(r.status).toBe(415);
    });

    it('413 for a body over 256 KB', async () => {
      const big = createLinkBody({ order: { reference: 'big', additional_data: { blob: 'x'.repeat(300 * 1024) } } });
      const r = await ctx.m1.post(PATH, big);
      expect(r.status).toBe(413);
      expect(r.body.status).toBe(413);
    });
  });
});

describe('Idempotency-Key', () => {
  it('returns the first response for the same key and body, creating one link', async () => {
    const body = createLinkBody({ order: { reference: 'idem-1' } });
    const a = await ctx.m1.post(PATH, body, { 'idempotency-key': 'key-one' });
    const b = await ctx.m1.post(PATH, body, { 'idempotency-key': 'key-one' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(a.headers.get('idempotent-replayed')).toBeNull();
    const list = await ctx.m1.get<{ items: unknown[] }>(`${PATH}?order_reference=idem-1`);
    expect(list.body.items).toHaveLength(1);
  });

  it('is 422 for the same key with a different body (IETF Idempotency-Key draft)', async () => {
    await ctx.m1.post(PATH, createLinkBody({ order: { reference: 'idem-2' } }), { 'idempotency-key': 'key-two' });
    const r = await ctx.m1.post(PATH, createLinkBody({ order: { reference: 'idem-2' }, amount: 1 }), { 'idempotency-key': 'key-two' });
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
  });

  it('scopes keys to the merchant', async () => {
    const a = await ctx.m1.post(PATH, createLinkBody({ order: { reference: 'idem-3' } }), { 'idempotency-key': 'shared-key' });
    const b = await ctx.m2.post(PATH, createLinkBody({ entity_id: 'demo-entity-2', order: { reference: 'idem-3' } }), { 'idempotency-key': 'shared-key' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('does not remember a rejected request: the corrected body under the same key creates the link', async () => {
    const bad = createLinkBody({ amount: -1, order: { reference: 'idem-fix' } });
    const a = await ctx.m1.post(PATH, bad, { 'idempotency-key': 'key-bad' });
    const b = await ctx.m1.post(PATH, createLinkBody({ order: { reference: 'idem-fix' } }), { 'idempotency-key': 'key-bad' });
    const c = await ctx.m1.post(PATH, createLinkBody({ order: { reference: 'idem-fix' } }), { 'idempotency-key': 'key-bad' });
    expect([a.status, b.status, c.status]).toEqual([400, 201, 201]);
    expect(a.headers.get('idempotent-replayed')).toBeNull();
    expect(c.headers.get('idempotent-replayed')).toBe('true');
    expect(c.body.id).toBe(b.body.id);
  });

  it('creates exactly one link when the same request races itself', async () => {
    const body = createLinkBody({ order: { reference: 'idem-race' } });
    const replies = await Promise.all(Array.from({ length: 6 }, () => ctx.m1.post(PATH, body, { 'idempotency-key': 'key-race' })));
    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const ids = new Set(replies.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const list = await ctx.m1.get<{ items: unknown[] }>(`${PATH}?order_reference=idem-race`);
    expect(list.body.items).toHaveLength(1);
  });

  it('is 400 for a key that is not visible ASCII', async () => {
    const r = await ctx.m1.post(PATH, createLinkBody(), { 'idempotency-key': 'has space' });
    expect(r.status).toBe(400);
  });
});
