/**
 * Sending the link to the customer by email and SMS: initial sends, reminders and resends. Each
 * send is a request on the notifications queue; the notifier applies it once (its id is recorded
 * on the link in the same conditional write as the outcome, and that write is retried for seconds
 * after a send: only a table unavailable for longer sends a message twice; SES and SNS take no
 * idempotency key), skips suppressed addresses, and records SENT / SUPPRESSED. The stream then publishes `Payment Link Notification Sent`.
 */
import { InvalidTransitionError, NotFoundError, DomainError } from '../errors.js';
import type { IdempotentAttempt } from '../idempotency/idempotency.js';
import { TERMINAL_STATUSES } from '../link/status.js';
import { getOwnLink } from '../link/commands.js';
import { updateLink } from '../link/write.js';
import { customerUrl, smsNumber, type PaymentLink, type PublicUrls } from '../link/model.js';
import type { Clock, LinkStore, Mailer, Merchant, MerchantDirectory, MessageRenderer, NotificationQueue, SmsSender, SuppressionList } from '../ports.js';

export const CHANNELS = ['EMAIL', 'SMS'] as const;
export type Channel = (typeof CHANNELS)[number];
export type NotificationKind = 'INITIAL' | 'REMINDER' | 'RESEND';
export type NotificationStatus = 'SENT' | 'SUPPRESSED';

export interface NotificationRecord {
  id: string;
  channel: Channel;
  kind: NotificationKind;
  status: NotificationStatus;
  at: string;
  /** The provider's message id (SES / SNS), for support. */
  message_id?: string;
}

/** A message on the notifications queue. */
export interface NotificationRequest {
  /** Deterministic, so a redelivered stream record or workflow task sends nothing twice. */
  id: string;
  payment_link_id: string;
  channel: Channel;
  kind: NotificationKind;
}

/** Resends allowed per link per rolling hour. */
export const RESEND_LIMIT_PER_HOUR = 5;
const HOUR_MS = 3600_000;

export function notificationId(linkId: string, channel: Channel, kind: NotificationKind, discriminator = ''): string {
  return [linkId, channel, kind, discriminator].filter(Boolean).join(':');
}

export function addressFor(link: PaymentLink, channel: Channel): string | undefined {
  return channel === 'EMAIL' ? link.customer?.email : smsNumber(link);
}

// ── The notifier ──────────────────────────────────────────────────────────────────────────────

export interface NotifierDeps {
  links: LinkStore;
  clock: Clock;
  merchants: MerchantDirectory;
  mailer: Mailer;
  sms: SmsSender;
  suppressions: SuppressionList;
  renderer: MessageRenderer;
  /** Public base URLs (a function: on AWS and in the sandbox they are known only at run time). */
  urls: () => PublicUrls;
}

export type NotifyOutcome = 'sent' | 'suppressed' | 'duplicate' | 'skipped';

/** Reminders only for links still waiting for a payment; initial sends and resends for any open link. */
function stillWanted(link: PaymentLink, kind: NotificationKind): boolean {
  if (kind === 'REMINDER') return link.status === 'CREATED' || link.status === 'OPENED';
  return !TERMINAL_STATUSES.has(link.status);
}

export async function processNotification(request: NotificationRequest, deps: NotifierDeps): Promise<NotifyOutcome> {
  const load = async () => {
    const link = await deps.links.get(request.payment_link_id);
    if (!link) throw new NotFoundError(`payment link ${request.payment_link_id} not found`);
    return link;
  };
  const link = await load();
  if ((link.notifications ?? []).some((n) => n.id === request.id)) return 'duplicate';
  if (!stillWanted(link, request.kind)) return 'skipped';
  const address = addressFor(link, request.channel);
  if (!address) return 'skipped';

  let record: NotificationRecord;
  const at = deps.clock.now().toISOString();
  if (await deps.suppressions.isSuppressed(link.entity_id, address)) {
    record = { id: request.id, channel: request.channel, kind: request.kind, status: 'SUPPRESSED', at };
  } else {
    const merchant = await deps.merchants.getMerchant(link.entity_id);
    const context = {
      merchantName: merchant?.display_name ?? link.entity_id,
      customerUrl: customerUrl(deps.urls(), link.id),
      kind: request.kind,
    };
    const sent =
      request.channel === 'EMAIL'
        ? await deps.mailer.send({
            to: address,
            ...deps.renderer.email(link, context),
            tags: { entity_id: link.entity_id, payment_link_id: link.id, notification_id: request.id },
          })
        : await deps.sms.send({ phone_number: address, message: deps.renderer.sms(link, context) });
    record = { id: request.id, channel: request.channel, kind: request.kind, status: 'SENT', at, message_id: sent.message_id };
  }
  const recordOutcome = () =>
    updateLink(
      load,
      (current) =>
        (current.notifications ?? []).some((n) => n.id === request.id)
          ? { value: undefined }
          : { next: { ...current, notifications: [...(current.notifications ?? []), record] }, value: undefined },
      deps,
    );
  // Once SES or SNS has the message, a failure to record it would bring the request back and send
  // it again: the record is retried here first (a throttled or timed-out write), and the request
  // fails (and is redelivered, so sent twice) only if the table stays unavailable for seconds.
  for (let attempt = 1; ; attempt++) {
    try {
      await recordOutcome();
      break;
    } catch (error) {
      if (attempt >= RECORD_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS * 2 ** (attempt - 1)));
    }
  }
  return record.status === 'SENT' ? 'sent' : 'suppressed';
}

/** Recording a sent message: 5 attempts over about 3 s (0.2, 0.4, 0.8, 1.6 s apart). */
const RECORD_ATTEMPTS = 5;
const RECORD_RETRY_MS = 200;

// ── Resend (API) ──────────────────────────────────────────────────────────────────────────────

export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  readonly status = 429;
  readonly title = 'Too many requests';
  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.extensions.retry_after_seconds = retryAfterSeconds;
  }
}

/**
 * POST …/notifications: send the link again on one channel. Refused (400) on a PAID, EXPIRED or
 * CANCELLED link or when the link has no address for the channel; at most RESEND_LIMIT_PER_HOUR
 * per link per rolling hour (429). The request is counted on the link in a conditional write, so
 * concurrent resends cannot exceed the limit. Under an Idempotency-Key the notification is named
 * after the attempt: a re-run after a crash finds it counted (or sent) and only queues it again,
 * which the notifier, keyed by the same id, sends at most once.
 */
export async function requestResend(
  linkId: string,
  channel: Channel,
  merchant: Merchant,
  deps: { links: LinkStore; clock: Clock; notificationQueue: NotificationQueue },
  attempt?: IdempotentAttempt,
): Promise<NotificationRequest> {
  const now = deps.clock.now();
  const { value: request } = await updateLink<NotificationRequest>(
    () => getOwnLink(linkId, merchant, deps.links),
    (current) => {
      const discriminator = attempt?.id ?? `${current.version + 1}-${(current.resend_requests ?? []).length + 1}`;
      const request: NotificationRequest = { id: notificationId(current.id, channel, 'RESEND', discriminator), payment_link_id: current.id, channel, kind: 'RESEND' };
      const ids = current.resend_request_ids ?? [];
      if (ids.includes(request.id) || (current.notifications ?? []).some((n) => n.id === request.id)) return { value: request };
      if (TERMINAL_STATUSES.has(current.status)) {
        throw new InvalidTransitionError(`a ${current.status} payment link cannot be sent again`);
      }
      if (!addressFor(current, channel)) {
        throw new InvalidTransitionError(channel === 'EMAIL' ? 'the link has no customer.email' : 'the link has no mobile phone number');
      }
      const recent = (current.resend_requests ?? []).filter((t) => now.getTime() - Date.parse(t) < HOUR_MS);
      if (recent.length >= RESEND_LIMIT_PER_HOUR) {
        const retryAfter = Math.ceil((Date.parse(recent[0]!) + HOUR_MS - now.getTime()) / 1000);
        throw new RateLimitedError(`at most ${RESEND_LIMIT_PER_HOUR} resends per link per hour`, retryAfter);
      }
      return {
        next: {
          ...current,
          resend_requests: [...recent, now.toISOString()],
          resend_request_ids: [...ids, request.id].slice(-RESEND_LIMIT_PER_HOUR),
        },
        value: request,
      };
    },
    deps,
  );
  await deps.notificationQueue.enqueue(request);
  return request;
}
