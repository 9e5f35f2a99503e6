/**
 * What a committed change of a link sets off, decided in one pure function: the stream dispatcher
 * reads the old and new images (and the link's merchant) and applies exactly these effects, in this
 * order. Every effect carries a deterministic id (event ids, notification ids, the execution named
 * after the link, webhook event ids), so a redelivered stream record repeats nothing.
 */
import type { PublicUrls, PaymentLink } from '../link/model.js';
import { eventsForLinkChange } from '../link/events.js';
import { deliveryTarget, webhooksForLinkChange, type WebhookDelivery } from '../merchant-webhooks/delivery.js';
import { notificationId, type NotificationRequest } from '../notifications/notifications.js';
import type { BusEvent, Merchant } from '../ports.js';
import { linkChannels, workflowInput, type WorkflowInput } from '../workflow/workflow.js';

export interface LinkChangeEffects {
  /** Published on the bus first. */
  events: BusEvent[];
  /** A new link's initial sends, on the channels it asked for. */
  notifications: NotificationRequest[];
  /** A new link's reminders-and-expiry workflow. */
  startWorkflow?: WorkflowInput;
  /** The link whose workflow ends: it became PAID or CANCELLED (no reminder, no expiry). */
  stopWorkflow?: string;
  /** Merchant webhooks to record and queue (creation sends none). */
  webhooks: WebhookDelivery[];
}

export function effectsOfLinkChange(
  old: PaymentLink | undefined,
  next: PaymentLink | undefined,
  merchant: Merchant | undefined,
  urls: PublicUrls,
): LinkChangeEffects {
  const events = eventsForLinkChange(old, next);
  if (!next) return { events, notifications: [], webhooks: [] }; // a removal is not a change of a link
  if (!old) {
    return {
      events,
      notifications: linkChannels(next).map((channel) => ({
        id: notificationId(next.id, channel, 'INITIAL'),
        payment_link_id: next.id,
        channel,
        kind: 'INITIAL',
      })),
      startWorkflow: workflowInput(next, merchant?.reminder_policy, new Date(next.created_at)),
      webhooks: [],
    };
  }
  const ended = old.status !== next.status && (next.status === 'PAID' || next.status === 'CANCELLED');
  return {
    events,
    notifications: [],
    ...(ended ? { stopWorkflow: next.id } : {}),
    webhooks: webhooksForLinkChange(old, next, deliveryTarget(next, merchant?.default_webhook_url), urls),
  };
}
