/**
 * SQS (SES bounce and complaint events, through SNS) → the merchant's suppression list. Record by
 * record with a partial batch response: a message that cannot be read or applied is retried and
 * finally parked in the DLQ, without holding up the others. Addresses are never logged.
 */
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { applySesFeedback, parseSesFeedback } from '../../shared/domain/notifications/bounces.js';
import { sqsBatchHandler } from '../../shared/lambda/sqs-batch.js';

export const makeHandler = (deps: DepsOf<PortsOf<'ses-feedback-handler'>>) =>
  sqsBatchHandler(
    {
      name: 'ses feedback',
      // The SNS envelope and SES's event inside it, checked with their schemas.
      parse: parseSesFeedback,
      apply: async (parsed, record) => {
        const decision = await applySesFeedback(parsed, deps);
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
      },
    },
    deps.logger,
  );
