/**
 * Merchant-webhook queue → one attempt per due message (shared/domain/webhook-sending.ts). Record by
 * record with partial batch failures: a store or queue failure brings only that message back, and a
 * poison message ends in the DLQ without holding up the others. Logs carry ids and outcomes, never
 * the body, the headers or the secrets.
 */
import middy from '@middy/core';
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DeliveryMessage, DeliveryQueue, DeliveryStore, EndpointHealth, MerchantSecretStore, WebhookHttp } from '../../shared/domain/ports.js';
import type { Clock } from '../../shared/domain/ports.js';
import { AttemptNotRecordedError, sendDelivery } from '../../shared/domain/merchant-webhooks/sending.js';
import type { Logger } from '../../shared/logger.js';

export interface SenderDeps {
  deliveries: DeliveryStore;
  queue: DeliveryQueue;
  http: WebhookHttp;
  secrets: MerchantSecretStore;
  clock: Clock;
  logger: Logger;
  /** Seconds between scheduled attempts; RETRY_SCHEDULE_SECONDS by default (the sandbox passes a short one). */
  schedule?: readonly number[];
  attemptTimeoutMs?: number;
  /** Endpoints that answered 410 Gone get no scheduled deliveries until a replay there succeeds. */
  endpoints?: EndpointHealth;
}

export function parseDeliveryMessage(body: string): DeliveryMessage {
  const m = JSON.parse(body) as Partial<Record<keyof DeliveryMessage, unknown>> | null;
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
  if (!m || typeof m.event_id !== 'string' || typeof m.payment_link_id !== 'string' || !optionalString(m.not_before) || (m.manual !== undefined && typeof m.manual !== 'boolean')) {
    throw new Error('not a merchant-webhook delivery message');
  }
  return m as DeliveryMessage;
}

export const makeHandler = (deps: SenderDeps) =>
  middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      let ids: Record<string, unknown> = { message_id: record.messageId };
      try {
        const message = parseDeliveryMessage(record.body);
        ids = { ...ids, event_id: message.event_id, payment_link_id: message.payment_link_id, manual: message.manual === true };
        const sent = await sendDelivery(message, deps);
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
      } catch (error) {
        const attempt = error instanceof AttemptNotRecordedError ? { status_code: error.result.status_code, duration_ms: error.result.duration_ms, cause: error.cause } : {};
        deps.logger.error('merchant webhook message failed', { ...ids, ...attempt, error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
