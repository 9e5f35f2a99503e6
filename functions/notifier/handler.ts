/**
 * Notifications queue → emails (SES) and SMS (SNS). Record by record with partial batch failures:
 * a failing send is retried by SQS and parked in the DLQ after the queue's max receives; the others go on.
 */
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { processNotification } from '../../shared/domain/notifications/notifications.js';
import { notificationRequestSchema } from '../../shared/lambda/queue-messages.js';
import { jsonMessage, sqsBatchHandler } from '../../shared/lambda/sqs-batch.js';

const parseNotificationRequest = jsonMessage(notificationRequestSchema);

export const makeHandler = (deps: DepsOf<PortsOf<'notifier'>>) =>
  sqsBatchHandler(
    {
      name: 'notification',
      parse: parseNotificationRequest,
      ids: (r) => ({ notification_id: r.id, channel: r.channel, kind: r.kind }),
      apply: async (request) => {
        const outcome = await processNotification(request, deps);
        deps.logger.info('notification', { notification_id: request.id, channel: request.channel, kind: request.kind, outcome });
      },
    },
    deps.logger,
  );
