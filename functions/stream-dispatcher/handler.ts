/**
 * The table's stream → every effect of a committed change, in one place (what they are is decided
 * by effectsOfLinkChange, a pure function): events on the bus, a new link's initial notifications
 * and workflow, the workflow stopped when it is paid or cancelled, and merchant webhooks (a delivery
 * record, then a message on the delivery queue). Record by record, stopping at the first failure so
 * the shard's order is kept; a redelivered record produces the same ids, never new effects.
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { linkChangeFromRecord } from '../../shared/adapters/stream-records.js';
import { effectsOfLinkChange } from '../../shared/domain/dispatch/link-change.js';

export const makeHandler = (deps: DepsOf<PortsOf<'stream-dispatcher'>>) =>
  middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async (event) => {
    for (const record of event.Records) {
      try {
        const change = linkChangeFromRecord(record);
        if (!change) continue;
        const merchant = change.new ? await deps.merchants.getMerchant(change.new.entity_id) : undefined;
        const effects = effectsOfLinkChange(change.old, change.new, merchant, deps.urls());
        if (effects.events.length > 0) await deps.bus.publish(effects.events);
        for (const request of effects.notifications) await deps.notificationQueue.enqueue(request);
        if (effects.startWorkflow) await deps.workflow.start(effects.startWorkflow);
        if (effects.stopWorkflow) await deps.workflow.stop(effects.stopWorkflow);
        for (const draft of effects.webhooks) {
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
