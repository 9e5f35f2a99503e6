/**
 * The money rules of payment-checks.ts that mutation testing found unheld (issue 9, resilience
 * suite): which provider answer confirms a notification, and which mismatches are recorded once.
 */
import { describe, expect, it } from 'vitest';
import type { PaymentLink, PaymentMismatch } from '../../shared/domain/link/model.js';
import { applyProviderEvent } from '../../shared/domain/payments/link-payments.js';
import { paymentMismatches, recordMismatch } from '../../shared/domain/payments/payment-checks.js';
import type { ProviderPayment } from '../../shared/providers/payment-provider.js';
import { providerEvent } from '../support/fakes.js';
import { openedLink } from '../support/payment-links.js';

/** A link of 4,299 EUR, opened `sessions` times (client sessions cs-1, cs-2, ...). */
const opened = (sessions = 1) => openedLink(sessions, { amount: 4299, currency: 'EUR' });

const payment = (link: PaymentLink, id = 'p-1', extra: Partial<ProviderPayment> = {}): ProviderPayment =>
  providerEvent(link.id, id, 'AUTHORIZED', { amount: 4299, currency: 'EUR', client_session_id: 'cs-1', ...extra }).payment;

describe('paymentMismatches: what confirms a notification', () => {
  it('accepts a payment of any session the link opened, not only of its only one', async () => {
    const { link } = await opened(2);
    expect(paymentMismatches(link, payment(link), payment(link))).toEqual([]);
    expect(paymentMismatches(link, payment(link, 'p-2', { client_session_id: 'cs-2' }), payment(link, 'p-2', { client_session_id: 'cs-2' }))).toEqual([]);
  });

  it("does not take the provider's answer about another payment as confirming this one", async () => {
    const { link } = await opened();
    expect(paymentMismatches(link, payment(link, 'p-1'), payment(link, 'p-2'))).toEqual(['payment']);
  });

  it("does not apply a notification naming another link, even when the provider holds the payment for this one", async () => {
    const { link } = await opened();
    expect(paymentMismatches(link, payment(link, 'p-1', { payment_link_id: 'another-link' }), payment(link, 'p-1'))).toEqual(['payment']);
  });
});

describe('mismatches are recorded once each, and every distinct one is recorded', () => {
  it('records (and voids) two payments with the same mismatch, and a repeat of either is a duplicate', async () => {
    const { links, provider, deps, link } = await opened();
    const first = await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 1 })), deps);
    const second = await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-2', 'AUTHORIZED', { amount: 1 })), deps);
    expect([first.outcome, second.outcome]).toEqual(['mismatch', 'mismatch']);
    expect(provider.voided).toEqual(['p-1', 'p-2']);
    const after = (await links.get(link.id))!;
    expect(after.payment_mismatches?.map((m) => [m.payment_id, m.reasons, m.settlement])).toEqual([
      ['p-1', ['amount'], 'VOIDED'],
      ['p-2', ['amount'], 'VOIDED'],
    ]);

    const repeat = await applyProviderEvent(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 1, event_id: 'evt-return-p-1' }), deps);
    expect(repeat.outcome).toBe('duplicate');
    expect(await links.get(link.id)).toEqual(after);
    expect(provider.voided).toEqual(['p-1', 'p-2']);
  });

  it('records a mismatched payment again when it moves from PENDING to AUTHORIZED, and voids it then', async () => {
    const { links, provider, deps, link } = await opened();
    const pending = await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'PENDING', { amount: 1 })), deps);
    expect(pending.mismatch).toMatchObject({ payment_id: 'p-1', authorization_status: 'PENDING', reasons: ['amount'] });
    expect(pending.mismatch?.settlement).toBeUndefined();
    expect(provider.voided).toEqual([]);

    const authorized = await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 1 })), deps);
    expect(authorized.outcome).toBe('mismatch');
    expect(authorized.mismatch).toMatchObject({ payment_id: 'p-1', authorization_status: 'AUTHORIZED', settlement: 'VOID_PENDING' });
    expect(provider.voided).toEqual(['p-1']);
    expect((await links.get(link.id))?.payment_mismatches).toHaveLength(2);
  });

  it('records two notifications about the same payment that are wrong in different ways', async () => {
    const { links, provider, deps, link } = await opened();
    provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 4299 }));
    const wrongAmount = await applyProviderEvent(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 1, event_id: 'evt-a' }), deps);
    const wrongCurrency = await applyProviderEvent(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 4299, currency: 'USD', event_id: 'evt-b' }), deps);
    expect([wrongAmount.outcome, wrongCurrency.outcome]).toEqual(['mismatch', 'mismatch']);
    expect((await links.get(link.id))?.payment_mismatches?.map((m) => m.reasons)).toEqual([['amount'], ['currency']]);
    // The provider's own payment matches the link: nothing to void.
    expect(provider.voided).toEqual([]);
  });
});

describe('what a recorded mismatch says', () => {
  it("names the client session the provider confirms, not the one the notification claims", async () => {
    const { provider, deps, link } = await opened();
    provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 4299 }));
    const applied = await applyProviderEvent(providerEvent(link.id, 'p-1', 'AUTHORIZED', { amount: 4299, client_session_id: 'cs-forged' }), deps);
    expect(applied.mismatch).toMatchObject({ payment_id: 'p-1', client_session_id: 'cs-1', reasons: ['client_session'] });
  });

  it('records a payment the provider does not know with the session the notification claims, and voids nothing', async () => {
    const { links, provider, deps, link } = await opened();
    const applied = await applyProviderEvent(providerEvent(link.id, 'p-9', 'AUTHORIZED', { amount: 4299, event_id: 'evt-unknown' }), deps);
    expect(applied.outcome).toBe('mismatch');
    expect(applied.mismatch).toEqual({
      event_id: 'evt-unknown',
      provider: 'fake',
      payment_id: 'p-9',
      client_session_id: 'cs-1',
      authorization_status: 'AUTHORIZED',
      reasons: ['payment'],
      occurred_at: '2026-01-15T10:00:00.000Z',
    });
    expect((await links.get(link.id))?.status).toBe('OPENED');
    expect(provider.voided).toEqual([]);
  });

  it('keeps the latest 20 mismatches of a link, dropping the oldest', async () => {
    const { link } = await opened();
    const old = Array.from(
      { length: 20 },
      (_, i): PaymentMismatch => ({
        event_id: `evt-old-${i}`,
        provider: 'fake',
        payment_id: `p-old-${i}`,
        authorization_status: 'AUTHORIZED',
        reasons: ['amount'],
        occurred_at: '2026-01-15T09:00:00.000Z',
      }),
    );
    const event = providerEvent(link.id, 'p-new', 'AUTHORIZED', { amount: 1, event_id: 'evt-new' });
    const remember = (ids: string[] | undefined, id: string) => [...(ids ?? []), id];
    const next = recordMismatch({ ...link, payment_mismatches: old }, event, event.payment, ['amount'], remember)!;
    expect(next.payment_mismatches).toHaveLength(20);
    expect(next.payment_mismatches?.[0]?.payment_id).toBe('p-old-1');
    expect(next.payment_mismatches?.[19]).toMatchObject({ payment_id: 'p-new', settlement: 'VOID_PENDING' });
  });
});
