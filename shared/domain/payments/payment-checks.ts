/**
 * Is a provider notification about this link at all? (issue 9, item 4.) A signature only proves who
 * sent it: a signed AUTHORIZED for another amount, another currency, a client session the link
 * never opened or a payment that is not the link's must not pay the link. The notification is
 * checked against the payment as the provider confirms it (getPayment), and that payment against
 * the link. Pure: the caller fetched both.
 */
import type { ProviderEvent, ProviderPayment } from '../../providers/payment-provider.js';
import type { LateSettlement, MismatchReason, PaymentLink, PaymentMismatch } from '../link/model.js';

/** How many mismatches a link remembers (bounded: a flood of bad notifications cannot grow the item). */
const REMEMBERED_MISMATCHES = 20;

const opened = (link: PaymentLink, sessionId: string) => link.client_sessions.some((s) => s.id === sessionId);

/** Whether the provider's own payment is one this link asked for: its session, its amount, its currency. */
function belongsToLink(link: PaymentLink, confirmed: ProviderPayment): boolean {
  return (
    confirmed.payment_link_id === link.id &&
    opened(link, confirmed.client_session_id) &&
    confirmed.amount === link.amount &&
    confirmed.currency === link.currency
  );
}

/**
 * Why `claimed` (the notification's payment) may not be applied to `link`, given the payment as the
 * provider confirms it (undefined: the provider does not know it). Empty when it may.
 */
export function paymentMismatches(link: PaymentLink, claimed: ProviderPayment, confirmed: ProviderPayment | undefined): MismatchReason[] {
  if (!confirmed || confirmed.id !== claimed.id || claimed.payment_link_id !== link.id || confirmed.payment_link_id !== link.id) {
    return ['payment'];
  }
  const reasons: MismatchReason[] = [];
  if (confirmed.amount !== link.amount || claimed.amount !== confirmed.amount) reasons.push('amount');
  if (confirmed.currency !== link.currency || claimed.currency !== confirmed.currency) reasons.push('currency');
  if (!opened(link, confirmed.client_session_id) || claimed.client_session_id !== confirmed.client_session_id) reasons.push('client_session');
  // Only an authorization pays a link: the provider must hold it as authorized too.
  if (claimed.authorization_status === 'AUTHORIZED' && confirmed.authorization_status !== 'AUTHORIZED') reasons.push('authorization_status');
  return reasons;
}

/**
 * What happens to the money: an authorization the provider holds for this link that the link did
 * not ask for (another amount or currency, a session it never opened) is voided, or refunded if
 * captured. Nothing is done to a payment of another link, one the provider does not know, or one
 * that matches the link (then only the notification was wrong; the provider's own one applies).
 */
export function mismatchSettlement(link: PaymentLink, confirmed: ProviderPayment | undefined): LateSettlement | undefined {
  if (!confirmed || confirmed.payment_link_id !== link.id || confirmed.authorization_status !== 'AUTHORIZED') return undefined;
  if (belongsToLink(link, confirmed)) return undefined;
  return confirmed.captured ? 'REFUND_PENDING' : 'VOID_PENDING';
}

const sameMismatch = (a: PaymentMismatch, b: PaymentMismatch) =>
  a.payment_id === b.payment_id && a.authorization_status === b.authorization_status && a.reasons.join() === b.reasons.join();

/**
 * The link with the mismatch recorded (and the event id remembered), or undefined when the same
 * mismatch is already recorded: the shopper's return and the provider's webhook report the same
 * payment under different event ids, and it is recorded, published and counted once.
 */
export function recordMismatch(
  link: PaymentLink,
  event: ProviderEvent,
  confirmed: ProviderPayment | undefined,
  reasons: MismatchReason[],
  rememberEvent: (ids: string[] | undefined, id: string) => string[],
): PaymentLink | undefined {
  const claimed = event.payment;
  const settlement = mismatchSettlement(link, confirmed);
  const mismatch: PaymentMismatch = {
    event_id: event.event_id,
    provider: event.provider,
    payment_id: claimed.id,
    client_session_id: confirmed?.client_session_id ?? claimed.client_session_id,
    authorization_status: claimed.authorization_status,
    reasons,
    ...(confirmed ? { amount: confirmed.amount, currency: confirmed.currency } : {}),
    occurred_at: event.occurred_at,
    ...(settlement ? { settlement } : {}),
  };
  if (link.payment_mismatches?.some((m) => sameMismatch(m, mismatch))) return undefined;
  return {
    ...link,
    payment_mismatches: [...(link.payment_mismatches ?? []), mismatch].slice(-REMEMBERED_MISMATCHES),
    processed_event_ids: rememberEvent(link.processed_event_ids, event.event_id),
  };
}
