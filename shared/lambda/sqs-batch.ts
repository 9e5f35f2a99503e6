/**
 * Every queue consumer, record by record (Powertools' processPartialResponse): each record's body is
 * parsed with the queue's schema at the edge, applied, and a record that fails either step is
 * reported in `batchItemFailures`, so SQS brings back only that one (and parks it in the DLQ after
 * the queue's max receives) while the others are deleted.
 */
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import type { Logger } from '../logger.js';

export interface BatchConsumer<M> {
  /** What the consumer is called in its error log line, e.g. 'notification'. */
  name: string;
  /** Parses and validates one body; throws on anything that is not a message of this queue. */
  parse: (body: string) => M;
  /** Applies one message; throws to have it redelivered. */
  apply: (message: NoInfer<M>, record: SQSRecord) => Promise<void>;
  /** Fields identifying a message in the error log (ids only, never contents). */
  ids?: (message: NoInfer<M>) => Record<string, unknown>;
}

export async function processSqsBatch<M>(event: SQSEvent, consumer: BatchConsumer<M>, logger: Logger): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of event.Records) {
    let ids: Record<string, unknown> = { message_id: record.messageId };
    try {
      const message = consumer.parse(record.body);
      ids = { ...ids, ...consumer.ids?.(message) };
      await consumer.apply(message, record);
    } catch (error) {
      logger.error(`${consumer.name} failed`, { ...ids, error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** A middy handler for an SQS event source with partial batch responses. */
export const sqsBatchHandler = <M>(consumer: BatchConsumer<M>, logger: Logger) =>
  middy<SQSEvent, SQSBatchResponse>().handler((event) => processSqsBatch(event, consumer, logger));

/** JSON.parse then the schema's parse: the one way a queue body becomes a message. */
export function jsonMessage<S extends z.ZodMiniType>(schema: S): (body: string) => z.output<S> {
  return (body) => z.parse(schema, JSON.parse(body));
}
