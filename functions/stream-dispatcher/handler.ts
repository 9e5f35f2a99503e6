/**
 * The table's stream → every effect of a committed change, in one place: events on the bus, and
 * merchant webhooks (a delivery record, then a message on the delivery queue). Record by record,
 * stopping at the first failure so the shard's order is kept; a redelivered record produces the
 * same event ids and the same deliveries, never new ones.
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { linkChangeFromRecord } from '../../shared/adapters/stream-records.js';
import { eventsForLinkChange } from '../../shared/domain/link/events.js';
import { deliveryTarget, webhooksForLinkChange } from '../../shared/domain/merchant-webhooks/delivery.js';
import type { DeliveryQueue, DeliveryStore } from '../../shared/domain/ports.js';
import { notificationId } from '../../shared/domain/notifications/notifications.js';
import { linkChannels, workflowInput } from '../../shared/domain/workflow/workflow.js';
import type { AppDeps } from '../../shared/deps.js';

export interface DispatcherDeps extends Pick<AppDeps, 'bus' | 'logger' | 'merchants' | 'urls' | 'notificationQueue' | 'workflow'> {
  deliveries: DeliveryStore;
  deliveryQueue: DeliveryQueue;
}

export const makeHandler = (deps: DispatcherDeps) =>
  middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async (event) => {
    for (const record of event.Records) {
      try {
        const change = linkChangeFromRecord(record);
        if (!change) continue;
        const events = eventsForLinkChange(change.old, change.new);
        if (events.length > 0) await deps.bus.publish(events);
        if (!change.new) continue; // removal is not a change of a link

        const link = change.new;
        const merchant = await deps.merchants.getMerchant(link.entity_id);
        if (!change.old) {
          // A new link: send it on the channels asked for, and start its reminders-and-expiry workflow
          // (a named execution and deterministic notification ids: a redelivery repeats nothing).
          for (const channel of linkChannels(link)) {
            await deps.notificationQueue.enqueue({ id: notificationId(link.id, channel, 'INITIAL'), payment_link_id: link.id, channel, kind: 'INITIAL' });
          }
          await deps.workflow.start(workflowInput(link, merchant?.reminder_policy, new Date(link.created_at)));
          continue; // creation sends no merchant webhook
        }
        if (change.old.status !== link.status && (link.status === 'PAID' || link.status === 'CANCELLED')) {
          await deps.workflow.stop(link.id); // no reminder and no expiry for a paid or cancelled link
        }

        const target = deliveryTarget(link, merchant?.default_webhook_url);
        for (const draft of webhooksForLinkChange(change.old, link, target, deps.urls())) {
          const delivery = await deps.deliveries.createIfAbsent(draft);
          // Not yet attempted: (re)enqueue. After a crash between create and enqueue, the redelivered
          // record lands here again; a message enqueued twice is recognised by the sender.
          if (delivery.state === 'pending' && delivery.attempts.length === 0) {
            await deps.deliveryQueue.enqueue({ event_id: delivery.event_id, payment_link_id: delivery.payment_link_id });
          }
        }
      } catch (error) {
        deps.logger.error('stream record failed', { error, event_id: record.eventID });
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
      }
    }
    return { batchItemFailures: [] };
  });
