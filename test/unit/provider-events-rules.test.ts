/**
 * The rules of provider-events.ts that mutation testing found unheld (issue 9, resilience suite):
 * status transitions with several attempts, what a payment record keeps, the event-id memory, and
 * the settlement (void or refund) of late and mismatched payments, once each.
 */
import { describe, expect, it } from 'vitest';
import { applyProviderEvent, decidePaymentEvent, settlePayments } from '../../shared/domain/payments/link-payments.js';
import { providerEvent } from '../support/fakes.js';
import { forceStatus, openedLink } from '../support/payment-links.js';

/** A link of 12,000 EUR, opened `sessions` times (client sessions cs-1, cs-2, ...). */
const opened = (sessions = 1) => openedLink(sessions);

describe('link status with several attempts', () => {
  it('returns to OPENED when an attempt is refused and the other attempts are all over', async () => {
    const { apply, stored } = await opened();
    await apply('p-1', 'REFUSED');
    await apply('p-2', 'REFUSED');
    expect((await stored()).status).toBe('OPENED');
  });

  it('is PAID by an authorization while another attempt is still pending', async () => {
    const { apply, stored } = await opened();
    await apply('p-1', 'PENDING');
    expect((await apply('p-2', 'AUTHORIZED')).outcome).toBe('applied');
    expect((await stored()).status).toBe('PAID');
  });

  it('records a refusal of another attempt on a PAID link without treating it as a late payment', async () => {
    const { apply, stored, provider } = await opened();
    await apply('p-1', 'AUTHORIZED');
    expect((await apply('p-0', 'REFUSED')).outcome).toBe('applied');
    const after = await stored();
    expect(after.status).toBe('PAID');
    expect(after.payments.find((p) => p.id === 'p-0')).toEqual(expect.not.objectContaining({ late_settlement: expect.anything() }));
    expect(provider.voided).toEqual([]);
  });
});

describe('what the link records of its payments and sessions', () => {
  it('records each payment as the provider confirmed it, and keeps the other attempts when one changes', async () => {
    const { apply, stored } = await opened();
    await apply('p-1', 'PENDING');
    await apply('p-2', 'PENDING', { created_at: '2026-01-15T10:01:00.000Z' });
    await apply('p-1', 'AUTHORIZED', { created_at: '2026-01-15T10:05:00.000Z' });
    expect((await stored()).payments).toEqual([
      { id: 'p-1', authorization_status: 'AUTHORIZED', client_session_id: 'cs-1', provider: 'fake', amount: 12000, currency: 'EUR', created_at: '2026-01-15T10:00:00.000Z' },
      { id: 'p-2', authorization_status: 'PENDING', client_session_id: 'cs-1', provider: 'fake', amount: 12000, currency: 'EUR', created_at: '2026-01-15T10:01:00.000Z' },
    ]);
  });

  it('marks only the session the payment was made in as SUBMITTED', async () => {
    const { apply, stored } = await opened(2);
    await apply('p-1', 'PENDING', { client_session_id: 'cs-2' });
    expect((await stored()).client_sessions).toEqual([
      { id: 'cs-1', status: 'CREATED' },
      { id: 'cs-2', status: 'SUBMITTED' },
    ]);
  });

  it('remembers the event ids it applied, the latest 100', async () => {
    const { link, provider } = await opened();
    const event = providerEvent(link.id, 'p-1', 'PENDING', { event_id: 'evt-first' });
    expect(decidePaymentEvent(link, event, event.payment).next?.processed_event_ids).toEqual(['evt-first']);

    const full = { ...link, processed_event_ids: Array.from({ length: 100 }, (_, i) => `evt-${i}`) };
    const next = decidePaymentEvent(full, event, provider.raise(event).payment).next!;
    expect(next.processed_event_ids).toHaveLength(100);
    expect(next.processed_event_ids?.[0]).toBe('evt-1');
    expect(next.processed_event_ids?.[99]).toBe('evt-first');
  });

  it('fails an event from a provider this deployment does not know, and changes nothing', async () => {
    const { deps, link, stored } = await opened();
    const event = { ...providerEvent(link.id, 'p-1', 'AUTHORIZED'), provider: 'unknown-psp' };
    await expect(applyProviderEvent(event, deps)).rejects.toThrow('payment provider unknown-psp is not configured');
    expect(await stored()).toEqual(link);
  });
});

describe('settling late payments', () => {
  it('voids each late authorization of a cancelled link and records each as VOIDED', async () => {
    const { apply, stored, links, link, provider } = await opened();
    await forceStatus(links, link.id, 'CANCELLED');
    await apply('p-1', 'AUTHORIZED');
    expect((await apply('p-2', 'AUTHORIZED')).outcome).toBe('late_payment');
    expect(provider.voided).toEqual(['p-1', 'p-2']);
    expect((await stored()).payments.map((p) => [p.id, p.late_settlement])).toEqual([
      ['p-1', 'VOIDED'],
      ['p-2', 'VOIDED'],
    ]);
  });

  it('writes nothing when another delivery already recorded the void', async () => {
    const { apply, stored, links, link, deps } = await opened();
    await forceStatus(links, link.id, 'EXPIRED');
    await apply('p-1', 'AUTHORIZED');
    const settled = await stored();
    // A concurrent delivery that read the link before the void was recorded.
    const before = { ...settled, payments: settled.payments.map((p) => ({ ...p, late_settlement: 'VOID_PENDING' as const })) };
    await settlePayments(before, { ...deps, load: stored });
    expect(await stored()).toEqual(settled);
  });
});

describe('settling mismatched payments', () => {
  it('refunds the amount the provider captured for a mismatched payment, and records it as REFUNDED', async () => {
    const { apply, stored, provider } = await opened();
    const applied = await apply('p-1', 'AUTHORIZED', { amount: 500, captured: true });
    expect(applied.outcome).toBe('mismatch');
    expect(provider.refunded).toEqual([{ id: 'p-1', amount: 500 }]);
    expect(provider.voided).toEqual([]);
    expect((await stored()).payment_mismatches?.map((m) => m.settlement)).toEqual(['REFUNDED']);
  });

  it('voids each mismatched authorization and records each as VOIDED', async () => {
    const { apply, stored, provider } = await opened();
    await apply('p-1', 'AUTHORIZED', { amount: 1 });
    await apply('p-2', 'AUTHORIZED', { currency: 'USD' });
    expect(provider.voided).toEqual(['p-1', 'p-2']);
    expect((await stored()).payment_mismatches?.map((m) => [m.payment_id, m.settlement])).toEqual([
      ['p-1', 'VOIDED'],
      ['p-2', 'VOIDED'],
    ]);
  });

  it('writes nothing when another delivery already recorded the void', async () => {
    const { apply, stored, deps } = await opened();
    await apply('p-1', 'AUTHORIZED', { amount: 1 });
    const settled = await stored();
    const before = { ...settled, payment_mismatches: settled.payment_mismatches!.map((m) => ({ ...m, settlement: 'VOID_PENDING' as const })) };
    await settlePayments(before, { ...deps, load: stored });
    expect(await stored()).toEqual(settled);
  });
});
