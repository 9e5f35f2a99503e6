/**
 * SQS → provider events applied to links. Record by record, reporting failures (partial batch
 * response), so one poison message is retried and finally parked in the DLQ without holding up
 * the others.
 */
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { applyProviderEvent } from '../../shared/domain/payments/link-payments.js';
import type { ProviderEventMessage } from '../../shared/domain/ports.js';
import type { AppDeps } from '../../shared/deps.js';

export const makeHandler = (deps: Pick<AppDeps, 'links' | 'clock' | 'providers' | 'logger'>) =>
  middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      try {
        const message = JSON.parse(record.body) as ProviderEventMessage;
        const provider = deps.providers.get(message.provider);
        if (!provider) throw new Error(`unknown payment provider ${message.provider}`);
        const providerEvent = provider.parseWebhook(message.raw_body);
        const { outcome, link } = await applyProviderEvent(providerEvent, { store: deps.links, clock: deps.clock, providers: deps.providers });
        deps.logger.info('provider event applied', {
          provider: message.provider,
          event_id: providerEvent.event_id,
          payment_link_id: link.id,
          authorization_status: providerEvent.payment.authorization_status,
          outcome,
          status: link.status,
        });
      } catch (error) {
        deps.logger.error('provider event failed', { error, message_id: record.messageId });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
