/**
 * SQS (SES bounce and complaint events, through SNS) → the merchant's suppression list. Record by
 * record with a partial batch response: a message that cannot be read or applied is retried and
 * finally parked in the DLQ, without holding up the others. Addresses are never logged.
 */
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { applySesFeedback, type FeedbackDeps } from '../../shared/domain/notifications/bounces.js';
import type { Logger } from '../../shared/logger.js';

export interface SesFeedbackDeps extends FeedbackDeps {
  logger: Logger;
}

export const makeHandler = (deps: SesFeedbackDeps) =>
  middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      try {
        const decision = await applySesFeedback(record.body, deps);
        const fields = {
          message_id: record.messageId,
          type: decision.type,
          entity_id: decision.entity_id,
          payment_link_id: decision.payment_link_id,
          notification_id: decision.notification_id,
          ses_message_id: decision.message_id,
          suppressed: decision.suppress.length,
        };
        if (decision.suppress.length > 0) deps.logger.info('ses feedback: addresses suppressed', fields);
        else if (decision.ignored === 'no_entity_tag' || decision.ignored === 'no_recipient') {
          // Retrying cannot help: acknowledged, and logged for the alarm.
          deps.logger.warn('ses feedback: bounce or complaint not attributable', { ...fields, ignored: decision.ignored, detail: decision.detail });
        } else deps.logger.info('ses feedback: nothing to suppress', { ...fields, ignored: decision.ignored, detail: decision.detail });
      } catch (error) {
        deps.logger.error('ses feedback failed', { error, message_id: record.messageId });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
