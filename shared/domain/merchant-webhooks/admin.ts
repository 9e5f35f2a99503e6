/** What a merchant can do about its webhooks: read the delivery log, replay, rotate the secret. */
import { NotFoundError } from '../errors.js';
import type { IdempotentAttempt } from '../idempotency/idempotency.js';
import { deliveryView } from './delivery.js';
import type { DeliveryLocator, DeliveryQueue, DeliveryStore, MerchantSecretStore } from '../ports.js';
import { getOwnLink } from '../link/commands.js';
import type { Clock, LinkStore, Merchant } from '../ports.js';

export async function listDeliveries(linkId: string, merchant: Merchant, deps: { links: LinkStore; deliveries: DeliveryStore }) {
  const link = await getOwnLink(linkId, merchant, deps.links);
  return (await deps.deliveries.listForLink(link.id)).map(deliveryView);
}

/**
 * Sends an event again now, whatever its state, with the same webhook-id and body. Another
 * merchant's event is indistinguishable from an unknown one (404).
 */
export async function replayDelivery(
  eventId: string,
  merchant: Merchant,
  deps: { deliveries: DeliveryStore & DeliveryLocator; deliveryQueue: DeliveryQueue },
) {
  const where = await deps.deliveries.locate(eventId);
  if (!where || where.entity_id !== merchant.entity_id) throw new NotFoundError(`webhook event ${eventId} not found`);
  const delivery = await deps.deliveries.get(where.payment_link_id, eventId);
  if (!delivery) throw new NotFoundError(`webhook event ${eventId} not found`);
  await deps.deliveryQueue.enqueue({ event_id: eventId, payment_link_id: where.payment_link_id, manual: true });
  return deliveryView(delivery);
}

/** Under an Idempotency-Key the rotation is named after the attempt: a re-run after a crash rotates nothing more. */
export async function rotateWebhookSecret(merchant: Merchant, deps: { webhookSecrets: MerchantSecretStore; clock: Clock }, attempt?: IdempotentAttempt) {
  const { secret, previous_expires_at } = await deps.webhookSecrets.rotate(merchant.entity_id, deps.clock.now(), attempt?.id);
  return { secret, previous_secret_expires_at: previous_expires_at };
}
