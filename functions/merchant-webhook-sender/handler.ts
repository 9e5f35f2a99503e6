/**
 * Merchant-webhook queue → one attempt per due message (shared/domain/merchant-webhooks/sending.ts),
 * record by record with partial batch failures: a store or queue failure brings only that message
 * back, and a poison message ends in the DLQ without holding up the others. Logs carry ids and
 * outcomes, never the body, the headers or the secrets.
 */
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { AttemptNotRecordedError, sendDelivery } from '../../shared/domain/merchant-webhooks/sending.js';
import { jsonMessage, sqsBatchHandler } from '../../shared/lambda/sqs-batch.js';
import { deliveryMessageSchema } from '../../shared/lambda/queue-messages.js';

const parseDeliveryMessage = jsonMessage(deliveryMessageSchema);

export const makeHandler = (deps: DepsOf<PortsOf<'merchant-webhook-sender'>>) =>
  sqsBatchHandler(
    {
      name: 'merchant webhook message',
      parse: parseDeliveryMessage,
      ids: (m) => ({ event_id: m.event_id, payment_link_id: m.payment_link_id, manual: m.manual === true }),
      apply: async (message) => {
        const ids = { event_id: message.event_id, payment_link_id: message.payment_link_id, manual: message.manual === true };
        let sent;
        try {
          sent = await sendDelivery(message, deps);
        } catch (error) {
          // The attempt was made but could not be recorded: say what the endpoint answered.
          if (error instanceof AttemptNotRecordedError) {
            deps.logger.error('merchant webhook attempted, but not recorded', { ...ids, status_code: error.result.status_code, duration_ms: error.result.duration_ms });
          }
          throw error;
        }
        if (sent.outcome === 'attempted') {
          const { status_code, duration_ms, error } = sent.result;
          deps.logger.info('merchant webhook attempted', {
            ...ids,
            status_code,
            duration_ms,
            error,
            state: sent.delivery.state,
            attempts: sent.delivery.attempts.length,
            next_attempt_at: sent.delivery.next_attempt_at,
            write_conflicts: sent.write_conflicts,
          });
        } else if (sent.outcome === 'vanished') {
          deps.logger.error('merchant webhook attempted, but its delivery vanished before it was recorded', { ...ids, status_code: sent.result.status_code });
        } else if (sent.outcome === 'missing') {
          deps.logger.warn('merchant webhook delivery not found', ids);
        } else {
          deps.logger.debug('merchant webhook message skipped', { ...ids, ...sent });
        }
      },
    },
    deps.logger,
  );
