/**
 * The payment link's state machine (ARCHITECTURE.md, "The link's state machine"). Pure: no I/O,
 * no clock. Callers persist the result with a conditional write on `version`.
 */
export const LINK_STATUSES = ['CREATED', 'OPENED', 'PAYMENT_IN_PROGRESS', 'PAID', 'EXPIRED', 'CANCELLED'] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<LinkStatus> = new Set(['PAID', 'EXPIRED', 'CANCELLED']);

export const AUTHORIZATION_STATUSES = [
  'PENDING',
  'UNCERTAIN',
  'CHALLENGE_REQUIRED',
  'AUTHORIZED',
  'REFUSED',
  'ABORTED',
] as const;
export type AuthorizationStatus = (typeof AUTHORIZATION_STATUSES)[number];

export type LinkEvent =
  | { type: 'OPEN' }
  | { type: 'PAYMENT'; authorization_status: AuthorizationStatus }
  /** `grace_over` is set once the grace period for an in-progress attempt has run out. */
  | { type: 'EXPIRE'; grace_over?: boolean }
  | { type: 'CANCEL' };

/** Which merchant webhook streams a transition notifies. */
export type WebhookStream = 'link' | 'payment';

export type TransitionResult =
  /** The link moves to `to` (which may equal the current status when only a payment is recorded). */
  | { outcome: 'changed'; from: LinkStatus; to: LinkStatus; webhooks: WebhookStream[] }
  /** Nothing to write: a repeat of something already done (idempotent success). */
  | { outcome: 'unchanged'; status: LinkStatus }
  /** The event is not allowed in this state; nothing changes and the caller gets a 4xx. */
  | { outcome: 'rejected'; status: LinkStatus; reason: string }
  /** Expiry reached while a payment attempt is in progress: wait for the grace period. */
  | { outcome: 'deferred'; status: LinkStatus }
  /** An authorization for a link that can no longer be paid: void it and raise late_payment. */
  | { outcome: 'late_payment'; status: LinkStatus; webhooks: WebhookStream[] };

const changed = (from: LinkStatus, to: LinkStatus, webhooks: WebhookStream[]): TransitionResult => ({
  outcome: 'changed',
  from,
  to,
  webhooks,
});

export function transition(status: LinkStatus, event: LinkEvent): TransitionResult {
  const terminal = TERMINAL_STATUSES.has(status);
  switch (event.type) {
    case 'OPEN':
      return status === 'CREATED' ? changed(status, 'OPENED', ['link']) : { outcome: 'unchanged', status };

    case 'CANCEL':
      if (status === 'CANCELLED') return { outcome: 'unchanged', status };
      if (terminal) return { outcome: 'rejected', status, reason: `a ${status} payment link cannot be cancelled` };
      return changed(status, 'CANCELLED', ['link']);

    case 'EXPIRE':
      if (terminal) return { outcome: 'unchanged', status };
      if (status === 'PAYMENT_IN_PROGRESS' && !event.grace_over) return { outcome: 'deferred', status };
      return changed(status, 'EXPIRED', ['link']);

    case 'PAYMENT':
      return paymentTransition(status, event.authorization_status);
  }
}

function paymentTransition(status: LinkStatus, authorization: AuthorizationStatus): TransitionResult {
  if (authorization === 'AUTHORIZED') {
    if (TERMINAL_STATUSES.has(status)) return { outcome: 'late_payment', status, webhooks: ['payment'] };
    return changed(status, 'PAID', ['link', 'payment']);
  }
  // Anything but an authorization never moves a terminal link: a REFUSED or PENDING that arrives
  // after AUTHORIZED (reordered webhooks) must not revert PAID.
  if (TERMINAL_STATUSES.has(status)) return { outcome: 'unchanged', status };
  if (authorization === 'REFUSED' || authorization === 'ABORTED') {
    return status === 'OPENED'
      ? changed(status, 'OPENED', ['payment'])
      : changed(status, 'OPENED', ['link', 'payment']);
  }
  // PENDING, UNCERTAIN, CHALLENGE_REQUIRED
  return status === 'PAYMENT_IN_PROGRESS'
    ? changed(status, 'PAYMENT_IN_PROGRESS', ['payment'])
    : changed(status, 'PAYMENT_IN_PROGRESS', ['link', 'payment']);
}
