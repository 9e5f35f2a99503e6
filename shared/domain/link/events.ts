/**
 * What a committed change of a link means for subscribers. Pure: the dispatcher feeds it the old
 * and new images from the table's stream. Event ids are derived from the link id and version, so a
 * redelivered stream record produces the same ids, never new ones.
 */
import type { PaymentLink } from './model.js';
import type { BusEvent } from '../ports.js';

export const EVENT_SOURCE = 'paylink';
export const DETAIL_TYPES = {
  linkStatusChanged: 'Payment Link Status Changed',
  paymentStatusChanged: 'Payment Status Changed',
  latePayment: 'Payment Link Late Payment',
  notificationSent: 'Payment Link Notification Sent',
  paymentMismatch: 'Payment Link Payment Mismatch',
} as const;

export function eventsForLinkChange(old: PaymentLink | undefined, next: PaymentLink | undefined): BusEvent[] {
  if (!next) return [];
  const events: BusEvent[] = [];
  const base = { payment_link_id: next.id, entity_id: next.entity_id, version: next.version };
  if (!old || old.status !== next.status) {
    events.push({
      id: `${next.id}:${next.version}:link-status`,
      source: EVENT_SOURCE,
      'detail-type': DETAIL_TYPES.linkStatusChanged,
      detail: { ...base, status: next.status, previous_status: old?.status ?? null },
      time: next.updated_at,
    });
  }
  for (const payment of next.payments) {
    const before = old?.payments.find((p) => p.id === payment.id);
    if (before?.authorization_status !== payment.authorization_status) {
      events.push({
        id: `${next.id}:${next.version}:payment:${payment.id}`,
        source: EVENT_SOURCE,
        'detail-type': DETAIL_TYPES.paymentStatusChanged,
        detail: {
          ...base,
          payment_id: payment.id,
          client_session_id: payment.client_session_id ?? null,
          authorization_status: payment.authorization_status,
          previous_authorization_status: before?.authorization_status ?? null,
        },
        time: next.updated_at,
      });
    }
    if (payment.late_settlement && !before?.late_settlement) {
      events.push({
        id: `${next.id}:${next.version}:late-payment:${payment.id}`,
        source: EVENT_SOURCE,
        'detail-type': DETAIL_TYPES.latePayment,
        detail: {
          ...base,
          payment_id: payment.id,
          link_status: next.status,
          settlement: payment.late_settlement === 'REFUND_PENDING' ? 'REFUND' : 'VOID',
        },
        time: next.updated_at,
      });
    }
  }
  for (const mismatch of next.payment_mismatches ?? []) {
    if (old?.payment_mismatches?.some((m) => m.event_id === mismatch.event_id)) continue;
    events.push({
      id: `${next.id}:${next.version}:payment-mismatch:${mismatch.payment_id}`,
      source: EVENT_SOURCE,
      'detail-type': DETAIL_TYPES.paymentMismatch,
      detail: {
        ...base,
        payment_id: mismatch.payment_id,
        client_session_id: mismatch.client_session_id ?? null,
        provider: mismatch.provider,
        authorization_status: mismatch.authorization_status,
        reasons: mismatch.reasons,
        amount: mismatch.amount ?? null,
        currency: mismatch.currency ?? null,
        settlement: mismatch.settlement === 'REFUND_PENDING' ? 'REFUND' : mismatch.settlement === 'VOID_PENDING' ? 'VOID' : 'NONE',
      },
      time: next.updated_at,
    });
  }
  for (const notification of next.notifications ?? []) {
    if (old?.notifications?.some((n) => n.id === notification.id)) continue;
    events.push({
      id: `${next.id}:${next.version}:notification:${notification.channel}:${notification.kind}`,
      source: EVENT_SOURCE,
      'detail-type': DETAIL_TYPES.notificationSent,
      // Channel and outcome only: never the address.
      detail: { ...base, channel: notification.channel, kind: notification.kind, status: notification.status },
      time: next.updated_at,
    });
  }
  return events;
}
