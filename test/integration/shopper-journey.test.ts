/**
 * The shopper's journey through the sandbox over HTTP, as a browser would: customer URL → hosted
 * page → card form → (3DS) → return → merchant, with the outcome arriving through the sandbox
 * provider's signed webhooks, SQS and the consumer, and through the return route, which asks the
 * provider (return-read-your-writes.test.ts holds the webhooks back to test that path alone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { CARDS, card, followReturn, get, openHostedPage, postForm, verifyRedirection } from '../support/shopper.js';
import { waitFor } from '../support/wait.js';

const PATH = '/payment/v2/payment-links';
// Long enough that the in-between state can be observed before the later webhook resolves it.
const ctx = useSandboxWithMerchants(beforeAll, afterAll, { pendingMs: 1500 });

async function newLink(overrides: Record<string, unknown> = {}): Promise<PaymentLinkResource> {
  const r = await ctx.m1.post<PaymentLinkResource>(
    PATH,
    createLinkBody({ shopper_redirection_url: 'http://localhost:9999/thanks?order=42', ...overrides }),
  );
  expect(r.status).toBe(201);
  return r.body;
}

async function linkNow(id: string): Promise<PaymentLinkResource> {
  await ctx.sb.settle();
  return (await ctx.m1.get<PaymentLinkResource>(`${PATH}/${id}`)).body;
}

describe('paying a link', () => {
  it('4242…: OPENED on open, PAID after the webhook, and a verifiable redirection to the merchant', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    expect(hosted).toContain('/sandbox-psp/pay/');
    expect((await linkNow(link.id)).status).toBe('OPENED');

    const form = await get(hosted);
    expect(form.status).toBe(200);
    for (const name of ['card_number', 'expiry_month', 'expiry_year', 'cvc', 'holder_name']) expect(form.html).toContain(`name="${name}"`);
    expect(form.html).toMatch(/<form[^>]*method="post"/);

    const merchantUrl = await followReturn(await postForm(hosted, card(CARDS.authorized)));
    expect(merchantUrl.origin + merchantUrl.pathname).toBe('http://localhost:9999/thanks');
    expect(merchantUrl.searchParams.get('order')).toBe('42');
    const claims = await verifyRedirection(ctx.sb.url, merchantUrl, 'demo-entity');
    expect(claims).toMatchObject({ payment_link_id: link.id, authorization_status: 'AUTHORIZED', client_session_status: 'SUBMITTED' });
    expect(claims.payment_id).toEqual(expect.any(String));
    expect(claims.exp).toBeGreaterThan(claims.iat!);

    const paid = await linkNow(link.id);
    expect(paid.status).toBe('PAID');
    expect(paid.payments).toEqual([{ id: claims.payment_id, authorization_status: 'AUTHORIZED' }]);
    expect(paid.client_sessions).toEqual([{ id: claims.client_session_id, status: 'SUBMITTED' }]);

    // Single use: the customer URL now says it is paid, with no payment form and no new session.
    const again = await get(link.links.customer_url.href);
    expect(again.status).toBe(200);
    expect(again.html).toContain('Already paid');
    expect(again.html).not.toContain('<form');
    expect((await linkNow(link.id)).client_sessions).toHaveLength(1);
  });

  it('refused, then retried with a new client session and paid', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    const refused = await postForm(hosted, card(CARDS.refused));
    expect(refused.status).toBe(200);
    expect(refused.html.toLowerCase()).toContain('refused');
    expect(refused.html).toContain(link.links.customer_url.href); // the way back
    const afterRefusal = await linkNow(link.id);
    expect(afterRefusal.status).toBe('OPENED');
    expect(afterRefusal.payments.map((p) => p.authorization_status)).toEqual(['REFUSED']);

    const retry = await openHostedPage(link.links.customer_url.href);
    expect(retry).not.toBe(hosted);
    await followReturn(await postForm(retry, card(CARDS.authorized)));
    const paid = await linkNow(link.id);
    expect(paid.status).toBe('PAID');
    expect(paid.client_sessions).toHaveLength(2);
    expect(paid.payments.map((p) => p.authorization_status).sort()).toEqual(['AUTHORIZED', 'REFUSED']);
  });

  it('3DS challenge passed → PAID', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    const challenge = await postForm(hosted, card(CARDS.threeDs));
    const challengeUrl = challenge.location ? new URL(challenge.location, hosted).toString() : `${hosted}/challenge`;
    const page = challenge.status === 303 ? await get(challengeUrl) : challenge;
    expect(page.html).toContain('name="challenge_result"');
    expect((await linkNow(link.id)).status).toBe('PAYMENT_IN_PROGRESS');
    const merchantUrl = await followReturn(await postForm(`${hosted}/challenge`, { challenge_result: 'success' }));
    expect((await verifyRedirection(ctx.sb.url, merchantUrl, 'demo-entity')).authorization_status).toBe('AUTHORIZED');
    expect((await linkNow(link.id)).status).toBe('PAID');
  });

  it('3DS challenge failed → REFUSED, link back to OPENED', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    await postForm(hosted, card(CARDS.threeDs));
    const failed = await postForm(`${hosted}/challenge`, { challenge_result: 'failure' });
    expect(failed.status).toBe(200);
    expect(failed.html).toContain(link.links.customer_url.href);
    const after = await linkNow(link.id);
    expect(after.status).toBe('OPENED');
    expect(after.payments.map((p) => p.authorization_status)).toEqual(['REFUSED']);
  });

  it('pending: redirected with PENDING, "being confirmed" meanwhile, PAID when the later webhook comes', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    const merchantUrl = await followReturn(await postForm(hosted, card(CARDS.pending)));
    expect((await verifyRedirection(ctx.sb.url, merchantUrl, 'demo-entity')).authorization_status).toBe('PENDING');
    await ctx.sb.poller.drain();
    await ctx.sb.stream.drain();
    const inProgress = (await ctx.m1.get<PaymentLinkResource>(`${PATH}/${link.id}`)).body;
    expect(inProgress.status).toBe('PAYMENT_IN_PROGRESS');
    const page = await get(link.links.customer_url.href);
    expect(page.status).toBe(200);
    expect(page.html).toContain('being confirmed');
    expect(page.html).not.toContain('<form');
    await waitFor(async () => (await linkNow(link.id)).status === 'PAID');
  });

  it('uncertain: PAYMENT_IN_PROGRESS, then REFUSED by the later webhook, back to OPENED', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    const merchantUrl = await followReturn(await postForm(hosted, card(CARDS.uncertain)));
    expect((await verifyRedirection(ctx.sb.url, merchantUrl, 'demo-entity')).authorization_status).toBe('UNCERTAIN');
    await waitFor(async () => {
      const l = await linkNow(link.id);
      return l.status === 'OPENED' && l.payments[0]?.authorization_status === 'REFUSED';
    });
    // The in-between state, read from the link's published history rather than caught in time.
    const ofLink = ctx.sb.bus.events.filter((e) => e.detail.payment_link_id === link.id);
    const statuses = ofLink.filter((e) => e['detail-type'] === 'Payment Link Status Changed').map((e) => e.detail.status);
    expect(statuses).toEqual(['CREATED', 'OPENED', 'PAYMENT_IN_PROGRESS', 'OPENED']);
    const payments = ofLink.filter((e) => e['detail-type'] === 'Payment Status Changed').map((e) => e.detail.authorization_status);
    expect(payments).toEqual(['UNCERTAIN', 'REFUSED']);
  });

  it('a card failing the Luhn check or expired shows the form again and makes no attempt', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    const luhn = await postForm(hosted, card('4242424242424241'));
    expect(luhn.status).toBeGreaterThanOrEqual(200);
    expect(luhn.location).toBeNull();
    expect(luhn.html).toContain('name="card_number"');
    const expired = await postForm(hosted, { ...card(CARDS.authorized), expiry_month: '01', expiry_year: '2020' });
    expect(expired.html).toContain('name="expiry_month"');
    const after = await linkNow(link.id);
    expect(after.status).toBe('OPENED');
    expect(after.payments).toEqual([]);
  });
});


describe('the customer URL in each state', () => {
  it('410 for a cancelled link, localised in French from customer.locale, with no other link’s data', async () => {
    const link = await newLink({ customer: { locale: 'fr-FR' }, order: { reference: 'ref-fr' } });
    await ctx.m1.post(`${PATH}/${link.id}/cancel`);
    const page = await get(link.links.customer_url.href);
    expect(page.status).toBe(410);
    expect(page.html).toContain('lang="fr"');
    expect(page.html).toContain('annulé');
    expect(page.html).toContain('ref-fr');
    expect(page.html).not.toContain('order_123456');
  });

  it('410 for an expired link, and 404 for an unknown one', async () => {
    const link = await newLink({ expiration_in_minutes: 1 });
    const stored = (await ctx.sb.deps.links.get(link.id))!;
    await ctx.sb.deps.links.update({ ...stored, status: 'EXPIRED', version: stored.version + 1 }, stored.version);
    const expired = await get(link.links.customer_url.href);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('expired');
    const unknown = await get(`${ctx.sb.url}/payment-links/00000000-0000-4000-8000-000000000000`);
    expect(unknown.status).toBe(404);
    expect(unknown.html).toContain('not found');
  });

  it('pages are accessible HTML with a strict content security policy', async () => {
    const link = await newLink();
    await ctx.m1.post(`${PATH}/${link.id}/cancel`);
    const res = await fetch(link.links.customer_url.href);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toContain('<main>');
    expect(html).toContain('<h1>');
  });
});
