/**
 * Provider notifications checked against the link they name (issue 9, item 4), on dynalite and the
 * sandbox PSP: a signed AUTHORIZED webhook for another amount, another currency, a client session
 * the link never opened, or a payment that is not the link's changes nothing the merchant sees, is
 * recorded on the link, published as `Payment Link Payment Mismatch`, counted by the
 * PaymentMismatches metric (EMF), and an authorization the provider holds for the link is voided
 * (refunded when captured).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { call, useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { CARDS, card, openHostedPage, postForm } from '../support/shopper.js';

const PATH = '/payment/v2/payment-links';
const MISMATCH = 'Payment Link Payment Mismatch';
const ctx = useSandboxWithMerchants(beforeAll, afterAll, { pendingMs: 200 });

async function newLink(overrides: Record<string, unknown> = {}): Promise<PaymentLinkResource> {
  const body = createLinkBody({ amount: 4299, currency: 'EUR', shopper_redirection_url: 'http://localhost:9999/back', ...overrides });
  const r = await ctx.m1.post<PaymentLinkResource>(PATH, body);
  expect(r.status).toBe(201);
  return r.body;
}

async function read(id: string): Promise<PaymentLinkResource> {
  await ctx.sb.settle();
  return (await ctx.m1.get<PaymentLinkResource>(`${PATH}/${id}`)).body;
}

/** What the merchant sees of a link, but its version and updated_at (a recorded mismatch is a write). */
function visible(link: PaymentLinkResource) {
  const { version: _version, updated_at: _updated, ...rest } = link;
  return rest;
}

/** Opens the customer URL: the link is OPENED with one client session; returns the hosted page. */
async function opened(overrides: Record<string, unknown> = {}) {
  const link = await newLink(overrides);
  const hosted = await openHostedPage(link.links.customer_url.href);
  const sessionId = new URL(hosted).pathname.split('/').pop()!;
  const before = await read(link.id);
  expect(before).toMatchObject({ status: 'OPENED', payments: [], client_sessions: [{ id: sessionId }] });
  return { link, hosted, sessionId, before };
}

const mismatchEvents = (linkId: string) =>
  ctx.sb.bus.events.filter((e) => e['detail-type'] === MISMATCH && e.detail.payment_link_id === linkId).map((e) => e.detail);

/** The EMF lines CloudWatch turns into the PaymentMismatches metric (namespace Paylink). */
const mismatchMetrics = (linkId: string) =>
  ctx.logs.filter((line) => {
    const aws = line._aws as { CloudWatchMetrics?: Array<{ Namespace: string; Metrics: Array<{ Name: string }> }> } | undefined;
    const directive = aws?.CloudWatchMetrics?.[0];
    return (
      line.payment_link_id === linkId &&
      directive?.Namespace === 'Paylink' &&
      directive.Metrics.some((m) => m.Name === 'PaymentMismatches') &&
      line.PaymentMismatches === 1
    );
  });

/** Nothing but mismatch events for the link since `before` (no payment or status change published). */
function otherEventsSince(linkId: string, version: number) {
  return ctx.sb.bus.events.filter(
    (e) => e.detail.payment_link_id === linkId && Number(e.detail.version) > version && e['detail-type'] !== MISMATCH,
  );
}

describe('a signed notification that does not match its link', () => {
  it('another amount: the link is unchanged, the mismatch published and counted, the authorization voided', async () => {
    const { link, hosted, sessionId, before } = await opened({ capture_mode: 'MANUAL' });
    ctx.sb.psp.alterSession(sessionId, { amount: 1 }); // the provider authorizes 0.01 EUR for a 42.99 EUR link
    await postForm(hosted, card(CARDS.authorized));
    const after = await read(link.id);

    expect(visible(after)).toEqual(visible(before));
    expect(otherEventsSince(link.id, before.version)).toEqual([]);
    const [paymentId] = ctx.sb.psp.session(sessionId)!.payment_ids;
    expect(mismatchEvents(link.id)).toEqual([
      expect.objectContaining({
        payment_id: paymentId,
        client_session_id: sessionId,
        reasons: ['amount'],
        authorization_status: 'AUTHORIZED',
        amount: 1,
        currency: 'EUR',
        settlement: 'VOID',
      }),
    ]);
    expect(mismatchMetrics(link.id)).toHaveLength(1);
    expect(ctx.sb.psp.payment(paymentId!)).toMatchObject({ voided: true, refunded_amount: 0 });

    // The same webhook again: nothing new is recorded, published or counted.
    const [event] = ctx.sb.psp.events().filter((e) => e.payment.id === paymentId);
    expect(await ctx.sb.psp.resend(event!.id)).toBe(202);
    expect(visible(await read(link.id))).toEqual(visible(before));
    expect(mismatchEvents(link.id)).toHaveLength(1);
    expect(mismatchMetrics(link.id)).toHaveLength(1);
  });

  it('another currency: the link is unchanged, and the captured payment is refunded in full', async () => {
    const { link, hosted, sessionId, before } = await opened(); // AUTOMATIC capture
    ctx.sb.psp.alterSession(sessionId, { currency: 'USD' });
    await postForm(hosted, card(CARDS.authorized));
    const after = await read(link.id);

    expect(visible(after)).toEqual(visible(before));
    expect(otherEventsSince(link.id, before.version)).toEqual([]);
    const [paymentId] = ctx.sb.psp.session(sessionId)!.payment_ids;
    expect(mismatchEvents(link.id)).toEqual([
      expect.objectContaining({ payment_id: paymentId, reasons: ['currency'], amount: 4299, currency: 'USD', settlement: 'REFUND' }),
    ]);
    expect(mismatchMetrics(link.id)).toHaveLength(1);
    expect(ctx.sb.psp.payment(paymentId!)).toMatchObject({ captured: true, refunded_amount: 4299 });
  });

  it('a client session the link never opened: the link is unchanged, the payment voided', async () => {
    const { link, before } = await opened({ capture_mode: 'MANUAL' });
    // A session opened at the provider for this link, but not by Paylink: the link does not know it.
    const provider = ctx.sb.deps.providers.get('sandbox')!;
    const foreign = await provider.createClientSession({
      payment_link_id: link.id,
      entity_id: link.entity_id,
      amount: 4299,
      currency: 'EUR',
      capture_mode: 'MANUAL',
      return_url: `${ctx.sb.url}/payment-links/${link.id}/return`,
      retry_url: link.links.customer_url.href,
      locale: 'en',
      merchant_display_name: 'Someone else',
      order_reference: 'not-this-order',
    });
    await postForm(foreign.redirect_url, card(CARDS.authorized));
    const after = await read(link.id);

    expect(visible(after)).toEqual(visible(before));
    expect(otherEventsSince(link.id, before.version)).toEqual([]);
    const [paymentId] = ctx.sb.psp.session(foreign.id)!.payment_ids;
    expect(mismatchEvents(link.id)).toEqual([
      expect.objectContaining({ payment_id: paymentId, client_session_id: foreign.id, reasons: ['client_session'], settlement: 'VOID' }),
    ]);
    expect(mismatchMetrics(link.id)).toHaveLength(1);
    expect(ctx.sb.psp.payment(paymentId!)?.voided).toBe(true);
  });

  it("another link's payment, or one the provider does not know: the link is unchanged and nothing is voided", async () => {
    const { link, sessionId, before } = await opened();
    // Another link, paid for real.
    const other = await opened();
    await postForm(other.hosted, card(CARDS.authorized));
    const otherPaid = await read(other.link.id);
    expect(otherPaid.status).toBe('PAID');
    const [otherPaymentId] = ctx.sb.psp.session(other.sessionId)!.payment_ids;

    // Signed with the provider's secret (a leaked secret, a provider bug), naming this link and its
    // own session, with the other link's payment id; then with a payment id the provider never made.
    const forged = (paymentId: string) =>
      JSON.stringify({
        id: `evt-forged-${paymentId}`,
        type: 'payment.updated',
        created_at: new Date().toISOString(),
        data: {
          payment: {
            id: paymentId,
            client_session_id: sessionId,
            payment_link_id: link.id,
            authorization_status: 'AUTHORIZED',
            amount: 4299,
            currency: 'EUR',
            captured: false,
            created_at: new Date().toISOString(),
          },
        },
      });
    for (const paymentId of [otherPaymentId!, 'pay-nobody-made']) {
      const body = forged(paymentId);
      expect((await call(ctx.sb.url, 'POST', '/webhooks/sandbox', { headers: { ...ctx.sb.psp.sign(body) }, body })).status).toBe(202);
    }
    const after = await read(link.id);

    expect(visible(after)).toEqual(visible(before));
    expect(otherEventsSince(link.id, before.version)).toEqual([]);
    expect(mismatchEvents(link.id)).toEqual([
      expect.objectContaining({ payment_id: otherPaymentId, reasons: ['payment'], settlement: 'NONE' }),
      expect.objectContaining({ payment_id: 'pay-nobody-made', reasons: ['payment'], amount: null, currency: null, settlement: 'NONE' }),
    ]);
    expect(mismatchMetrics(link.id)).toHaveLength(2);
    // The other link keeps its payment: not voided, not refunded, still PAID.
    expect(ctx.sb.psp.payment(otherPaymentId!)).toMatchObject({ voided: false, refunded_amount: 0 });
    expect(visible(await read(other.link.id))).toEqual(visible(otherPaid));
  });
});
