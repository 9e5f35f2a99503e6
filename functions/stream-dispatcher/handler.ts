/**
 * The table's stream → effects. For now: `Payment Link Status Changed` on the event bus. Record by
 * record, reporting failures so that only the failed record and those after it are retried.
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { linkChangeFromRecord } from '../../shared/adapters/stream-records.js';
import { eventsForLinkChange } from '../../shared/domain/link-events.js';
import type { AppDeps } from '../../shared/deps.js';

export const makeHandler = (deps: Pick<AppDeps, 'bus' | 'logger'>) =>
  middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async (event) => {
    for (const record of event.Records) {
      try {
        const change = linkChangeFromRecord(record);
        if (!change) continue;
        const events = eventsForLinkChange(change.old, change.new);
        if (events.length > 0) await deps.bus.publish(events);
      } catch (error) {
        deps.logger.error('stream record failed', { error, event_id: record.eventID });
        // Stream shards are ordered: stop here, so later changes of the same link are not applied first.
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
      }
    }
    return { batchItemFailures: [] };
  });
