/**
 * What the bus hears about a link's mismatches, notifications and payments (shared/domain/link/events.ts):
 * each published once, when first recorded, with what the provider confirmed and what Paylink does
 * with the money. Values written out (issue 9, mutation testing).
 */
import { describe, expect, it } from 'vitest';
import { eventsForLinkChange } from '../../shared/domain/link/events.js';
import type { PaymentLink, PaymentMismatch } from '../../shared/domain/link/model.js';
import type { NotificationRecord } from '../../shared/domain/notifications/notifications.js';
import { storedLink } from '../support/fixtures.js';

const LINK = '5f0c6a5e-2a7b-4d8e-9c1f-0a1b2c3d4e5f';
const opened = storedLink({ status: 'OPENED', version: 2 });
const after = (from: PaymentLink, changes: Partial<PaymentLink>): PaymentLink => ({
  ...from,
  ...changes,
  version: from.version + 1,
  updated_at: '2025-03-02T10:00:00.000Z',
});
const mismatch = (event_id: string, changes: Partial<PaymentMismatch> = {}): PaymentMismatch => ({
  event_id,
  provider: 'fake',
  payment_id: `pay-${event_id}`,
  authorization_status: 'AUTHORIZED',
  reasons: ['amount'],
  occurred_at: '2025-03-02T09:59:00.000Z',
  ...changes,
});
const notification = (id: string, channel: 'EMAIL' | 'SMS', kind: NotificationRecord['kind'], status: NotificationRecord['status'] = 'SENT'): NotificationRecord => ({
  id,
  channel,
  kind,
  status,
  at: '2025-03-02T10:00:00.000Z',
  message_id: 'ses-1',
});

describe('Payment Link Payment Mismatch', () => {
  it('carries the amount, currency and client session the provider confirmed, and VOID for an authorization to void', () => {
    const next = after(opened, { payment_mismatches: [mismatch('evt-1', { client_session_id: 'cs-9', amount: 1, currency: 'USD', settlement: 'VOID_PENDING' })] });
    expect(eventsForLinkChange(opened, next)).toEqual([
      {
        id: `${LINK}:3:payment-mismatch:pay-evt-1`,
        source: 'paylink',
        'detail-type': 'Payment Link Payment Mismatch',
        detail: {
          payment_link_id: LINK,
          entity_id: 'demo-entity',
          version: 3,
          payment_id: 'pay-evt-1',
          client_session_id: 'cs-9',
          provider: 'fake',
          authorization_status: 'AUTHORIZED',
          reasons: ['amount'],
          amount: 1,
          currency: 'USD',
          settlement: 'VOID',
        },
        time: '2025-03-02T10:00:00.000Z',
      },
    ]);
  });

  it('says REFUND for a captured authorization, NONE when nothing is settled, and null for what the provider does not know', () => {
    const next = after(opened, {
      payment_mismatches: [mismatch('evt-1', { amount: 12000, currency: 'EUR', settlement: 'REFUND_PENDING' }), mismatch('evt-2', { reasons: ['payment'] })],
    });
    expect(eventsForLinkChange(opened, next).map((e) => [e.detail.payment_id, e.detail.settlement, e.detail.amount, e.detail.currency, e.detail.client_session_id])).toEqual([
      ['pay-evt-1', 'REFUND', 12000, 'EUR', null],
      ['pay-evt-2', 'NONE', null, null, null],
    ]);
  });

  it('is published once: a later write (its settlement, another mismatch) publishes only what is new', () => {
    const first = after(opened, { payment_mismatches: [mismatch('evt-1', { settlement: 'VOID_PENDING' })] });
    const settled = after(first, { payment_mismatches: [mismatch('evt-1', { settlement: 'VOIDED' })] });
    expect(eventsForLinkChange(first, settled)).toEqual([]);
    const second = after(settled, { payment_mismatches: [mismatch('evt-1', { settlement: 'VOIDED' }), mismatch('evt-2')] });
    expect(eventsForLinkChange(settled, second).map((e) => e.id)).toEqual([`${LINK}:5:payment-mismatch:pay-evt-2`]);
  });

  it('is published for the first mismatch after an empty list, and for a link item first seen with one', () => {
    const empty = after(opened, { payment_mismatches: [] });
    expect(eventsForLinkChange(empty, after(empty, { payment_mismatches: [mismatch('evt-1')] })).map((e) => e['detail-type'])).toEqual(['Payment Link Payment Mismatch']);
    const firstSeen = storedLink({ payment_mismatches: [mismatch('evt-1')] });
    expect(eventsForLinkChange(undefined, firstSeen).map((e) => e['detail-type'])).toEqual(['Payment Link Status Changed', 'Payment Link Payment Mismatch']);
  });
});

describe('Payment Link Notification Sent', () => {
  it('publishes each email or SMS once, with its channel, kind and outcome and never the address', () => {
    const initial = notification(`${LINK}:EMAIL:INITIAL`, 'EMAIL', 'INITIAL');
    const sentEmail = after(opened, { notifications: [initial] });
    const events = eventsForLinkChange(opened, sentEmail);
    expect(events).toEqual([
      {
        id: `${LINK}:3:notification:EMAIL:INITIAL`,
        source: 'paylink',
        'detail-type': 'Payment Link Notification Sent',
        detail: { payment_link_id: LINK, entity_id: 'demo-entity', version: 3, channel: 'EMAIL', kind: 'INITIAL', status: 'SENT' },
        time: '2025-03-02T10:00:00.000Z',
      },
    ]);
    expect(JSON.stringify(events)).not.toContain('jane@example.com');

    const suppressedSms = after(sentEmail, { notifications: [initial, notification(`${LINK}:SMS:INITIAL`, 'SMS', 'INITIAL', 'SUPPRESSED')] });
    expect(eventsForLinkChange(sentEmail, suppressedSms).map((e) => [e.id, e.detail.channel, e.detail.status])).toEqual([
      [`${LINK}:4:notification:SMS:INITIAL`, 'SMS', 'SUPPRESSED'],
    ]);
    // A later write that adds no notification (a resend request recorded) publishes none again.
    expect(eventsForLinkChange(suppressedSms, after(suppressedSms, { resend_requests: ['2025-03-02T10:00:00.000Z'] }))).toEqual([]);
  });

  it('publishes the first notification after an empty list, and one on a link item first seen with it', () => {
    const empty = after(opened, { notifications: [] });
    const reminder = notification(`${LINK}:EMAIL:REMINDER:2025-03-04T14:30:00.000Z`, 'EMAIL', 'REMINDER');
    expect(eventsForLinkChange(empty, after(empty, { notifications: [reminder] })).map((e) => e.id)).toEqual([`${LINK}:4:notification:EMAIL:REMINDER`]);
    const firstSeen = storedLink({ notifications: [reminder] });
    expect(eventsForLinkChange(undefined, firstSeen).map((e) => e['detail-type'])).toEqual(['Payment Link Status Changed', 'Payment Link Notification Sent']);
  });
});

describe('Payment Status Changed', () => {
  it('is published for a payment on a link item first seen with it (no old image)', () => {
    const firstSeen = storedLink({ status: 'PAYMENT_IN_PROGRESS', payments: [{ id: 'p-1', authorization_status: 'PENDING' }] });
    expect(eventsForLinkChange(undefined, firstSeen).map((e) => [e['detail-type'], e.detail.authorization_status ?? e.detail.status])).toEqual([
      ['Payment Link Status Changed', 'PAYMENT_IN_PROGRESS'],
      ['Payment Status Changed', 'PENDING'],
    ]);
  });
});
