/**
 * What a committed change of a link means for subscribers. Pure: the dispatcher feeds it the old
 * and new images from the table's stream. Event ids are derived from the link id and version, so a
 * redelivered stream record produces the same ids, never new ones.
 */
import type { PaymentLink } from './payment-link.js';
import type { BusEvent } from './ports.js';

export const EVENT_SOURCE = 'paylink';
export const DETAIL_TYPES = {
  linkStatusChanged: 'Payment Link Status Changed',
  paymentStatusChanged: 'Payment Status Changed',
  latePayment: 'Payment Link Late Payment',
  notificationSent: 'Payment Link Notification Sent',
} as const;

export function eventsForLinkChange(old: PaymentLink | undefined, next: PaymentLink | undefined): BusEvent[] {
  if (!next) return [];
  if (old && old.status === next.status) return [];
  return [
    {
      id: `${next.id}:${next.version}:link-status`,
      source: EVENT_SOURCE,
      'detail-type': DETAIL_TYPES.linkStatusChanged,
      detail: {
        payment_link_id: next.id,
        entity_id: next.entity_id,
        status: next.status,
        previous_status: old?.status ?? null,
        version: next.version,
      },
      time: next.updated_at,
    },
  ];
}
