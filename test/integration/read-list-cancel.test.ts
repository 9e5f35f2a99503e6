import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { useSandboxWithMerchants, type MerchantSession } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';

const PATH = '/payment/v2/payment-links';
type List = { items: PaymentLinkResource[]; next_cursor: string | null };

const ctx = useSandboxWithMerchants(beforeAll, afterAll);

async function create(m: MerchantSession, overrides: Record<string, unknown> = {}): Promise<PaymentLinkResource> {
  const r = await m.post<PaymentLinkResource>(PATH, createLinkBody({ entity_id: m.entity_id, ...overrides }));
  expect(r.status).toBe(201);
  return r.body;
}

/** Puts a link into a status no API call reaches yet (PAID, EXPIRED) with a conditional write. */
async function forceStatus(id: string, status: 'PAID' | 'EXPIRED' | 'OPENED') {
  const link = (await ctx.sb.deps.links.get(id))!;
  await ctx.sb.deps.links.update({ ...link, status, version: link.version + 1 }, link.version);
}

describe('GET /payment/v2/payment-links/{id}', () => {
  it('returns the caller’s link', async () => {
    const link = await create(ctx.m1);
    const r = await ctx.m1.get(`${PATH}/${link.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(link);
  });

  it('is 404 for an unknown id and for another merchant’s link, alike', async () => {
    const link = await create(ctx.m1);
    const other = await ctx.m2.get(`${PATH}/${link.id}`);
    const unknown = await ctx.m2.get(`${PATH}/00000000-0000-4000-8000-000000000000`);
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.body.title).toBe(unknown.body.title);
    expect(other.text).not.toContain('demo-entity"');
  });
});

describe('GET /payment/v2/payment-links', () => {
  let ids: string[];
  beforeAll(async () => {
    ids = [];
    for (let i = 0; i < 7; i++) {
      const link = await create(ctx.m1, { order: { reference: i % 2 === 0 ? 'list-even' : 'list-odd' } });
      ids.push(link.id);
      await new Promise((r) => setTimeout(r, 3)); // distinct created_at
    }
    await create(ctx.m2, { order: { reference: 'list-even' } });
  });

  it('pages newest first with an opaque cursor, without repeats or gaps', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: List } = await ctx.m1.get<List>(`${PATH}?order_reference=list-even&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.items.map((l) => l.id));
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    const even = ids.filter((_, i) => i % 2 === 0).reverse();
    expect(seen).toEqual(even);
    expect(pages).toBe(2); // 4 links, 2 per page: next_cursor is null on the last full page
  });

  it('lists only the caller’s links', async () => {
    const r = await ctx.m2.get<List>(`${PATH}?order_reference=list-even`);
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items.every((l) => l.entity_id === 'demo-entity-2')).toBe(true);
    const all = await ctx.m2.get<List>(`${PATH}?limit=100`);
    expect(all.body.items.every((l) => l.entity_id === 'demo-entity-2')).toBe(true);
  });

  it('filters by status, alone and with the order reference', async () => {
    await ctx.m1.post(`${PATH}/${ids[0]}/cancel`);
    await ctx.m1.post(`${PATH}/${ids[1]}/cancel`);
    const cancelled = await ctx.m1.get<List>(`${PATH}?status=CANCELLED`);
    expect(cancelled.body.items.map((l) => l.id).sort()).toEqual([ids[0], ids[1]].sort());
    const both = await ctx.m1.get<List>(`${PATH}?status=CANCELLED&order_reference=list-odd`);
    expect(both.body.items.map((l) => l.id)).toEqual([ids[1]]);
    const created = await ctx.m1.get<List>(`${PATH}?status=CREATED&order_reference=list-even&limit=1`);
    expect(created.body.items).toHaveLength(1);
    expect(created.body.items[0]!.status).toBe('CREATED');
    expect(created.body.next_cursor).not.toBeNull();
  });

  it.each(['limit=0', 'limit=101', 'limit=ten', 'status=DONE', 'cursor=%%%', 'cursor=eyJ4IjoxfQ', 'unknown=1'])('is 400 for %s', async (q) => {
    const r = await ctx.m1.get(`${PATH}?${q}`);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses another merchant’s cursor', async () => {
    const page = await ctx.m1.get<List>(`${PATH}?limit=1`);
    expect(page.body.next_cursor).not.toBeNull();
    const r = await ctx.m2.get(`${PATH}?limit=1&cursor=${encodeURIComponent(page.body.next_cursor!)}`);
    expect(r.status).toBe(400);
    expect((r.body.errors as Array<{ pointer: string }>)[0]!.pointer).toBe('/cursor');
  });
});

describe('POST /payment/v2/payment-links/{id}/cancel', () => {
  it.each(['CREATED', 'OPENED'] as const)('cancels a %s link', async (status) => {
    const link = await create(ctx.m1);
    if (status !== 'CREATED') await forceStatus(link.id, status);
    const r = await ctx.m1.post<PaymentLinkResource>(`${PATH}/${link.id}/cancel`);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('CANCELLED');
    expect((await ctx.m1.get(`${PATH}/${link.id}`)).body.status).toBe('CANCELLED');
  });

  it('answers 200 again on a CANCELLED link and changes nothing', async () => {
    const link = await create(ctx.m1);
    const first = await ctx.m1.post<PaymentLinkResource>(`${PATH}/${link.id}/cancel`);
    const second = await ctx.m1.post<PaymentLinkResource>(`${PATH}/${link.id}/cancel`);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.body.version).toBe(2);
  });

  it.each(['PAID', 'EXPIRED'] as const)('is 400 on a %s link and changes nothing', async (status) => {
    const link = await create(ctx.m1);
    await forceStatus(link.id, status);
    const before = await ctx.sb.deps.links.get(link.id);
    const r = await ctx.m1.post(`${PATH}/${link.id}/cancel`);
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(status);
    expect(await ctx.sb.deps.links.get(link.id)).toEqual(before);
  });

  it('honours Idempotency-Key: a retried cancel replays the first answer; another link under the key is a 422', async () => {
    const link = await create(ctx.m1);
    const key = { 'idempotency-key': `cancel-${link.id}` };
    const first = await ctx.m1.post<PaymentLinkResource>(`${PATH}/${link.id}/cancel`, undefined, key);
    const retry = await ctx.m1.post<PaymentLinkResource>(`${PATH}/${link.id}/cancel`, undefined, key);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    const other = await create(ctx.m1);
    expect((await ctx.m1.post(`${PATH}/${other.id}/cancel`, undefined, key)).status).toBe(422);
    expect((await ctx.sb.deps.links.get(other.id))?.status).toBe('CREATED');
  });

  it('is 404 for another merchant, and leaves the link alone', async () => {
    const link = await create(ctx.m1);
    expect((await ctx.m2.post(`${PATH}/${link.id}/cancel`)).status).toBe(404);
    expect((await ctx.m1.get(`${PATH}/${link.id}`)).body.status).toBe('CREATED');
  });

  // Cancels alone all write the same CANCELLED, so they would agree even if the write were not
  // conditional. Resends racing them write something else (their count on the link): without the
  // version check a resend would undo the cancel, or a cancel would drop a counted resend.
  it('cancels exactly once when many cancels race each other and resends of the link', async () => {
    const link = await create(ctx.m1, { customer: { email: 'race@example.com' } });
    const cancels = Array.from({ length: 8 }, () => ctx.m1.post<PaymentLinkResource>(`${PATH}/${link.id}/cancel`));
    const resends = Array.from({ length: 4 }, () => ctx.m1.post(`${PATH}/${link.id}/notifications`, { channel: 'EMAIL' }));
    const [cancelled, resent] = await Promise.all([Promise.all(cancels), Promise.all(resends)]);

    // A resend is either counted before the cancel (202) or refused after it (400).
    expect(resent.map((r) => r.status).every((s) => s === 202 || s === 400)).toBe(true);
    const accepted = resent.filter((r) => r.status === 202).length;
    const stored = (await ctx.sb.deps.links.get(link.id))!;
    // One write per accepted resend, then the one cancel; every cancel answers that same link.
    expect(stored).toMatchObject({ status: 'CANCELLED', version: 1 + accepted + 1 });
    expect(stored.resend_requests ?? []).toHaveLength(accepted);
    expect(cancelled.map((r) => [r.status, r.body.status, r.body.version])).toEqual(Array(8).fill([200, 'CANCELLED', stored.version]));
    await ctx.sb.settle();
    const changes = ctx.sb.bus.events.filter((e) => e['detail-type'] === 'Payment Link Status Changed' && e.detail.payment_link_id === link.id);
    expect(changes.map((e) => e.detail.status)).toEqual(['CREATED', 'CANCELLED']);
  });
});
