/**
 * The queues between functions, once: what each carries, which port sends to it, and after how
 * many failed receives a message is parked in its dead-letter queue. The stack creates each with
 * its DLQ and alarm (visibility six times its consumer's timeout); the sandbox creates the same
 * queues on local-aws-sqs with the same redrive limit.
 */
import type { PortName } from './ports.js';

export interface QueueSpec {
  description: string;
  /** The port that sends to it; undefined when something outside Paylink does (SNS for SES feedback). */
  port?: PortName;
  /** Receives before a message goes to the dead-letter queue. */
  maxReceives: number;
}

export const QUEUES = {
  providerEvents: {
    description:
      'Provider notifications, verified by the receiver and applied by the consumer, so the provider gets its 202 fast and a slow ' +
      'table write never makes it retry (or give up). Idempotent on the provider event id.',
    port: 'providerEventQueue',
    maxReceives: 5,
  },
  webhookDeliveries: {
    description:
      'Merchant webhooks to attempt. Endpoint failures are not SQS retries: the sender records the attempt and enqueues the next ' +
      'itself with DelaySeconds (chained in 15-minute hops), so only the sender failing itself moves a message towards the DLQ.',
    port: 'deliveryQueue',
    maxReceives: 5,
  },
  notifications: {
    description:
      'Initial sends, reminders and resends waiting for the notifier: keeps SES and SNS off the API and stream paths, and gives a ' +
      'failing send its retries (deterministic ids recorded on the link: nothing is sent twice).',
    port: 'notificationQueue',
    maxReceives: 5,
  },
  sesFeedback: {
    description: "SES bounces and complaints (through an SNS topic), applied to the merchants' suppression lists.",
    maxReceives: 5,
  },
} as const satisfies Record<string, QueueSpec>;

export type QueueName = keyof typeof QUEUES;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];
