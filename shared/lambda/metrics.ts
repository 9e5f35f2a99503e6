/**
 * Custom CloudWatch metrics, written as log lines in the embedded metric format (EMF): CloudWatch
 * Logs extracts the metric from the function's own log group, so no PutMetricData call, no SDK
 * client and no extra permission. The logger writes each line as one JSON object on stdout, which
 * is what EMF needs. The alarms on these metrics (infra/constructs/alarms.ts) import the same names.
 */
import type { PaymentLink, PaymentMismatch } from '../domain/link/model.js';
import type { Logger } from '../logger.js';

export const METRICS_NAMESPACE = 'Paylink';

export const METRICS = {
  /** Provider notifications that did not match the link they name (issue 9, item 4). */
  paymentMismatches: 'PaymentMismatches',
} as const;
export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/**
 * The EMF members for one count of `name`, without dimensions (one alarm covers every provider and
 * reason; those are searchable members of the same line).
 */
export function emfCount(name: MetricName, now: Date, value = 1): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: name, Unit: 'Count' }] }],
    },
    [name]: value,
  };
}

/** One mismatch recorded on a link: a warning an operator can search for, counted by the alarm's metric. */
export function logPaymentMismatch(logger: Logger, link: PaymentLink, mismatch: PaymentMismatch, now: Date): void {
  logger.warn('provider payment mismatch', {
    ...emfCount(METRICS.paymentMismatches, now),
    payment_link_id: link.id,
    entity_id: link.entity_id,
    provider: mismatch.provider,
    event_id: mismatch.event_id,
    payment_id: mismatch.payment_id,
    reasons: mismatch.reasons,
    settlement: mismatch.settlement ?? 'NONE',
  });
}
