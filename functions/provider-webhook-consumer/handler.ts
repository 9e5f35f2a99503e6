/**
 * SQS → provider events, each confirmed with the provider and applied to its link. Record by record,
 * reporting failures (partial batch response), so one poison message is retried and finally parked
 * in the DLQ without holding up the others. A notification that does not match its link is counted
 * (PaymentMismatches, alarmed).
 */
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { applyProviderEvent } from '../../shared/domain/payments/link-payments.js';
import { logPaymentMismatch } from '../../shared/lambda/metrics.js';
import { providerEventMessageSchema } from '../../shared/lambda/queue-messages.js';
import { jsonMessage, sqsBatchHandler } from '../../shared/lambda/sqs-batch.js';

const parseProviderEventMessage = jsonMessage(providerEventMessageSchema);

export const makeHandler = (deps: DepsOf<PortsOf<'provider-webhook-consumer'>>) =>
  sqsBatchHandler(
    {
      name: 'provider event',
      parse: parseProviderEventMessage,
      ids: (m) => ({ provider: m.provider }),
      apply: async (message) => {
        const provider = deps.providers.get(message.provider);
        if (!provider) throw new Error(`unknown payment provider ${message.provider}`);
        const providerEvent = provider.parseWebhook(message.raw_body);
        const { outcome, link, mismatch } = await applyProviderEvent(providerEvent, deps);
        if (mismatch) logPaymentMismatch(deps.logger, link, mismatch, deps.clock.now());
        deps.logger.info('provider event applied', {
          provider: message.provider,
          event_id: providerEvent.event_id,
          payment_link_id: link.id,
          authorization_status: providerEvent.payment.authorization_status,
          outcome,
          status: link.status,
        });
      },
    },
    deps.logger,
  );
