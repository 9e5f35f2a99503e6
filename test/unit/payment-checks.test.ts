/**
 * Provider notifications checked against their link (issue 9, item 4): the pure checks, and what
 * applyProviderEvent and the shopper's return do with a mismatch (fakes; the same on dynalite and the
 * sandbox PSP in test/integration/provider-mismatch.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { generateRedirectionKey, JoseRedirectionSigner } from '../../shared/adapters/redirection-keys.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import { eventsForLinkChange } from '../../shared/domain/link/events.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import { mismatchSettlement, paymentMismatches } from '../../shared/domain/payments/payment-checks.js';
import { applyProviderEvent, openForPayment, shopperReturn } from '../../shared/domain/payments/link-payments.js';
import type { ProviderPayment } from '../../shared/providers/payment-provider.js';
import { StaticProviderRegistry } from '../../shared/providers/registry.js';
import { FakeProvider, FixedClock, MemoryLinkStore, MemoryMerchantDirectory, demoMerchant, providerEvent, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';

const urls = { apiBaseUrl: 'https://api.example.com', payBaseUrl: 'https://pay.example.com' };

/** A link of 4,299 EUR, opened once (client session cs-1). */
async function opened(overrides: Record<string, unknown> = {}) {
  const links = new MemoryLinkStore();
  const clock = new FixedClock();
  const provider = new FakeProvider();
  const deps = { links, clock, providers: new StaticProviderRegistry([provider]), merchants: new MemoryMerchantDirectory([demoMerchant], [], {}), urls };
  const body = createLinkBody({ entity_id: demoMerchant.entity_id, amount: 4299, currency: 'EUR', ...overrides }) as CreatePaymentLinkInput;
  const created = await createPaymentLink(body, demoMerchant, { links, clock, ids: sequentialIds(), urlPolicy: 'production' });
  await openForPayment(created.id, deps);
  const link = (await links.get(created.id))!;
  return { links, clock, provider, deps, link };
}

const payment = (link: PaymentLink, extra: Partial<ProviderPayment> = {}): ProviderPayment =>
  providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 4299, currency: 'EUR', client_session_id: 'cs-1', ...extra }).payment;

describe('paymentMismatches', () => {
  it('accepts the payment of a session the link opened, for its amount and currency', async () => {
    const { link } = await opened();
    expect(paymentMismatches(link, payment(link), payment(link))).toEqual([]);
  });

  it.each([
    ['amount', { amount: 1 }],
    ['currency', { currency: 'USD' }],
    ['client_session', { client_session_id: 'cs-never-opened' }],
  ] as const)('names %s when the provider confirms another one', async (reason, extra) => {
    const { link } = await opened();
    // The notification and the provider agree; the link asked for something else.
    expect(paymentMismatches(link, payment(link, extra), payment(link, extra))).toEqual([reason]);
  });

  it.each([
    ['amount', { amount: 1 }],
    ['currency', { currency: 'USD' }],
    ['client_session', { client_session_id: 'cs-never-opened' }],
  ] as const)('names %s when the notification says another one than the provider', async (reason, extra) => {
    const { link } = await opened();
    expect(paymentMismatches(link, payment(link, extra), payment(link))).toEqual([reason]);
  });

  it("names payment for one the provider does not know or holds for another link, and an authorization it does not confirm", async () => {
    const { link } = await opened();
    expect(paymentMismatches(link, payment(link), undefined)).toEqual(['payment']);
    expect(paymentMismatches(link, payment(link), payment(link, { payment_link_id: 'another-link' }))).toEqual(['payment']);
    expect(paymentMismatches(link, payment(link), payment(link, { authorization_status: 'REFUSED' }))).toEqual(['authorization_status']);
    // A PENDING the provider has since authorized is not a mismatch: only an authorization must be confirmed.
    expect(paymentMismatches(link, payment(link, { authorization_status: 'PENDING' }), payment(link))).toEqual([]);
  });
});

describe('mismatchSettlement', () => {
  it('voids (refunds if captured) an authorization the provider holds for this link but the link never asked for', async () => {
    const { link } = await opened();
    expect(mismatchSettlement(link, payment(link, { amount: 1 }))).toBe('VOID_PENDING');
    expect(mismatchSettlement(link, payment(link, { currency: 'USD', captured: true }))).toBe('REFUND_PENDING');
    expect(mismatchSettlement(link, payment(link, { client_session_id: 'cs-never-opened' }))).toBe('VOID_PENDING');
  });

  it("leaves alone another link's payment, an unknown one, one not authorized, and one that matches the link", async () => {
    const { link } = await opened();
    expect(mismatchSettlement(link, payment(link, { payment_link_id: 'another-link', amount: 1 }))).toBeUndefined();
    expect(mismatchSettlement(link, undefined)).toBeUndefined();
    expect(mismatchSettlement(link, payment(link, { amount: 1, authorization_status: 'PENDING' }))).toBeUndefined();
    expect(mismatchSettlement(link, payment(link))).toBeUndefined();
  });
});

describe('applyProviderEvent with a mismatch', () => {
  it('records it, changes nothing else, publishes it once, and voids the authorization', async () => {
    const { links, provider, deps, link } = await opened();
    const event = provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 1, client_session_id: 'cs-1' }));
    const applied = await applyProviderEvent(event, deps);
    expect(applied.outcome).toBe('mismatch');
    expect(applied.mismatch).toMatchObject({ payment_id: 'p-1', reasons: ['amount'], amount: 1, settlement: 'VOID_PENDING' });
    const after = (await links.get(link.id))!;
    const { version: _v, updated_at: _u, payment_mismatches, processed_event_ids: _p, ...rest } = after;
    const { version: _v0, updated_at: _u0, processed_event_ids: _p0, ...restBefore } = link;
    expect(rest).toEqual(restBefore);
    expect(payment_mismatches).toEqual([expect.objectContaining({ event_id: event.event_id, settlement: 'VOIDED' })]);
    expect(provider.voided).toEqual(['p-1']);

    // The mismatch write publishes one event; the settlement write after it publishes nothing.
    const recorded = { ...after, version: link.version + 1, payment_mismatches: [{ ...payment_mismatches![0]!, settlement: 'VOID_PENDING' as const }] };
    expect(eventsForLinkChange(link, recorded).map((e) => [e['detail-type'], e.detail.settlement])).toEqual([['Payment Link Payment Mismatch', 'VOID']]);
    expect(eventsForLinkChange(recorded, after)).toEqual([]);

    // The same payment reported again under another event id: nothing new is recorded.
    const again = await applyProviderEvent({ ...event, event_id: 'evt-again' }, deps);
    expect(again.outcome).toBe('duplicate');
    expect(again.mismatch).toBeUndefined();
    expect(await links.get(link.id)).toEqual(after);
  });

  it('does not pay the link for an authorization the provider does not confirm', async () => {
    const { links, provider, deps, link } = await opened();
    provider.raise(providerEvent(link.id, 'p-1', 'REFUSED', { amount: 4299 }));
    const forged = providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 4299, event_id: 'evt-forged' });
    expect((await applyProviderEvent(forged, deps)).mismatch?.reasons).toEqual(['authorization_status']);
    expect((await links.get(link.id))?.status).toBe('OPENED');
    expect(provider.voided).toEqual([]);
  });
});

describe('shopperReturn', () => {
  async function returning(status: ProviderPayment['authorization_status'], extra: Partial<ProviderPayment> = {}) {
    const s = await opened();
    s.provider.sessions.get('cs-1')!.status = 'SUBMITTED';
    s.provider.sessions.get('cs-1')!.payment = { id: 'p-1', authorization_status: status };
    s.provider.raise(providerEvent(s.link.id, 'p-1', status, { amount: 4299, ...extra }));
    const key = await generateRedirectionKey('k');
    const deps = { ...s.deps, redirection: new JoseRedirectionSigner(async () => [key], s.deps.clock) };
    return { ...s, outcome: await shopperReturn(s.link.id, 'cs-1', deps) };
  }

  it.each([
    ['AUTHORIZED', 'PAID'],
    ['PENDING', 'PAYMENT_IN_PROGRESS'],
  ] as const)('applies a %s payment before redirecting: the link is %s at once, and the webhook then changes nothing', async (status, linkStatus) => {
    const { links, provider, deps, link, outcome } = await returning(status);
    expect(outcome.applied?.outcome).toBe('applied');
    const after = (await links.get(link.id))!;
    expect(after).toMatchObject({ status: linkStatus, payments: [{ id: 'p-1', authorization_status: status }] });
    const webhook = provider.raise(providerEvent(link.id, 'p-1', status, { amount: 4299, event_id: 'evt-webhook' }));
    expect((await applyProviderEvent(webhook, deps)).outcome).toBe('stale');
    expect(await links.get(link.id)).toEqual(after);
  });

  it('applies nothing that does not match, and still redirects', async () => {
    const { links, link, outcome } = await returning('AUTHORIZED', { amount: 1 });
    expect(outcome.location).toContain('purse-redirection-data=');
    expect(outcome.applied?.mismatch?.reasons).toEqual(['amount']);
    expect((await links.get(link.id))?.status).toBe('OPENED');
  });

  it('still redirects when applying fails, and says so', async () => {
    const { links, link, provider, deps } = await opened();
    provider.sessions.get('cs-1')!.payment = { id: 'p-1', authorization_status: 'AUTHORIZED' };
    provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 4299 }));
    const failing = { ...links, get: links.get.bind(links), create: links.create.bind(links), list: links.list.bind(links), update: () => Promise.reject(new Error('table unavailable')) };
    const key = await generateRedirectionKey('k');
    const outcome = await shopperReturn(link.id, 'cs-1', { ...deps, links: failing, redirection: new JoseRedirectionSigner(async () => [key], deps.clock) });
    expect(outcome.location).toContain('purse-redirection-data=');
    expect(outcome.applyError).toBeInstanceOf(Error);
    expect((await links.get(link.id))?.status).toBe('OPENED');
  });
});
