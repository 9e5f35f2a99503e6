/**
 * Notifications queue → emails (SES) and SMS (SNS). Record by record with partial batch failures:
 * a failing send is retried by SQS and parked in the DLQ after 5 receives; the others go on.
 */
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processNotification, type NotificationRequest, type NotifierDeps } from '../../shared/domain/notifications/notifications.js';
import type { Logger } from '../../shared/logger.js';

export const makeHandler = (deps: NotifierDeps & { logger: Logger }) =>
  middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      try {
        const request = JSON.parse(record.body) as NotificationRequest;
        const outcome = await processNotification(request, deps);
        deps.logger.info('notification', { notification_id: request.id, channel: request.channel, kind: request.kind, outcome });
      } catch (error) {
        deps.logger.error('notification failed', { error, message_id: record.messageId });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
