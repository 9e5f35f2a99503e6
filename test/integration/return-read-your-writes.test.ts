/**
 * Read-your-writes on the shopper's return (issue 9, item 11): the PSP's webhooks are held back
 * (pspDeliverWebhooks: false), so only the return route can tell Paylink the outcome. Right after
 * the redirect the merchant's GET reads PAID (or PAYMENT_IN_PROGRESS); the webhook delivered later
 * changes nothing: no second status change, event or merchant webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { MerchantEndpoint } from '../support/merchant-endpoint.js';
import { CARDS, card, followReturn, get, openHostedPage, postForm, verifyRedirection } from '../support/shopper.js';

const PATH = '/payment/v2/payment-links';
const endpoint = new MerchantEndpoint();
beforeAll(() => endpoint.start());
afterAll(() => endpoint.stop());
// Pending attempts stay pending for the whole file: the return sees PENDING.
const ctx = useSandboxWithMerchants(beforeAll, afterAll, { pspDeliverWebhooks: false, pendingMs: 10 * 60_000 });

async function newLink(): Promise<PaymentLinkResource> {
  const body = createLinkBody({ shopper_redirection_url: 'http://localhost:9999/thanks', webhook: { url: endpoint.url } });
  const r = await ctx.m1.post<PaymentLinkResource>(PATH, body);
  expect(r.status).toBe(201);
  return r.body;
}

const getLink = async (id: string) => (await ctx.m1.get<PaymentLinkResource>(`${PATH}/${id}`)).body;

/** Everything a subscriber or the merchant has heard about the link, once the sandbox is idle. */
async function heard(linkId: string) {
  await ctx.sb.settle();
  return {
    link: await ctx.sb.deps.links.get(linkId),
    events: ctx.sb.bus.events.filter((e) => e.detail.payment_link_id === linkId).map((e) => e.id),
    webhooks: endpoint.bodies().filter((b) => (b.data.payment_link_id ?? b.data.id) === linkId).map((b) => `${b.type} ${String(b.data.status ?? b.data.authorization_status)}`),
  };
}

/** Delivers every webhook the PSP raised for the link, as the PSP would have (same ids and bodies). */
async function deliverHeldWebhooks(linkId: string) {
  const held = ctx.sb.psp.events().filter((e) => e.payment.payment_link_id === linkId);
  expect(held.length).toBeGreaterThan(0);
  for (const event of held) expect(await ctx.sb.psp.resend(event.id)).toBe(202);
}

describe('the shopper comes back before the webhook', () => {
  it('AUTHORIZED: the link reads PAID right after the redirect; the webhook later changes nothing', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    const paid = await postForm(hosted, card(CARDS.authorized));
    expect((await getLink(link.id)).status).toBe('OPENED'); // nothing has told Paylink yet

    const merchantUrl = await followReturn(paid);
    expect((await verifyRedirection(ctx.sb.url, merchantUrl, 'demo-entity')).authorization_status).toBe('AUTHORIZED');
    const read = await getLink(link.id); // the merchant's confirmation page, at once
    expect(read.status).toBe('PAID');
    expect(read.payments).toEqual([{ id: expect.any(String), authorization_status: 'AUTHORIZED' }]);

    const before = await heard(link.id);
    expect(before.webhooks).toEqual(['payment_link.status_changed OPENED', 'payment_link.status_changed PAID', 'payment.status_changed AUTHORIZED']);

    // The shopper reloads the return URL, then the PSP's webhook finally arrives.
    expect((await get(paid.location!)).status).toBe(303);
    await deliverHeldWebhooks(link.id);
    expect(await heard(link.id)).toEqual(before);
  });

  it('PENDING: the link reads PAYMENT_IN_PROGRESS right after the redirect; the webhook later changes nothing', async () => {
    const link = await newLink();
    const hosted = await openHostedPage(link.links.customer_url.href);
    const merchantUrl = await followReturn(await postForm(hosted, card(CARDS.pending)));
    expect((await verifyRedirection(ctx.sb.url, merchantUrl, 'demo-entity')).authorization_status).toBe('PENDING');
    expect((await getLink(link.id)).status).toBe('PAYMENT_IN_PROGRESS');

    const before = await heard(link.id);
    expect(before.webhooks).toEqual([
      'payment_link.status_changed OPENED',
      'payment_link.status_changed PAYMENT_IN_PROGRESS',
      'payment.status_changed PENDING',
    ]);
    await deliverHeldWebhooks(link.id);
    expect(await heard(link.id)).toEqual(before);
  });
});
