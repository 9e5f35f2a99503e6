/**
 * A message in any of these queues is work that failed every retry and now waits for a person: one
 * alarm per dead-letter queue of shared/app/queues.ts, and one on the stream's failure queue. One
 * more on provider notifications that did not match their link (the PaymentMismatches metric the
 * functions write as EMF log lines, shared/lambda/metrics.ts). No action is attached: wire them to
 * your on-call topic. (The workflow's own alarm, ExecutionsFailed, is part of LinkWorkflow.)
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { QUEUES, QUEUE_NAMES, type QueueName } from '../../shared/app/queues.js';
import { METRICS, METRICS_NAMESPACE } from '../../shared/lambda/metrics.js';
import { Concern } from './concern.js';

/** What a message in a queue's DLQ means, given the receives it failed. */
const PARKED: Record<QueueName, (receives: number) => string> = {
  providerEvents: (n) => `Provider webhooks failed ${n} receives and are parked in the DLQ: a payment outcome is not applied to its link.`,
  webhookDeliveries: (n) =>
    `Merchant webhook messages the sender failed to process ${n} times are parked in the DLQ: ` +
    'those deliveries get no further attempt until replayed or redriven (endpoint failures never land here).',
  notifications: (n) =>
    `Notification requests the notifier failed to send ${n} times are parked in the DLQ: ` +
    'those customers got no email or SMS for them (SES or SNS refused or throttled, or the link could not be read or written).',
  sesFeedback: (n) =>
    `SES bounce or complaint messages failed ${n} times and are parked in the DLQ: ` +
    'their addresses are not on the suppression list, so later sends to them still go out.',
};

export interface AlarmsProps {
  /** Each queue's dead-letter queue. */
  deadLetters: Record<QueueName, sqs.IQueue>;
  /** Where the stream's event source parks the batches that failed every retry. */
  streamFailures: sqs.IQueue;
}

export class Alarms extends Concern {
  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    for (const queue of QUEUE_NAMES) this.alarmOnMessages(props.deadLetters[queue], PARKED[queue](QUEUES[queue].maxReceives));
    this.alarmOnMessages(props.streamFailures, 'Table stream batches failed every retry: their events, merchant webhooks or notifications were not sent.');
    this.alarmOnPaymentMismatches();
  }

  /**
   * A signed provider notification that does not match its link is a provider fault, a mix-up or a
   * leaked webhook secret: the first one alarms. Each is on the link (`payment_mismatches`), on the
   * bus (`Payment Link Payment Mismatch`) and in the log line that carries the metric.
   */
  private alarmOnPaymentMismatches(): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, 'PaymentMismatchesAlarm', {
      alarmDescription:
        'A provider notification did not match the payment link it names (amount, currency, client session or payment): ' +
        'it was not applied, and an authorization held for the link was voided or refunded. Search the logs for "provider payment mismatch".',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRICS.paymentMismatches,
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No mismatch publishes no data point: that is the healthy state.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Alarm as soon as a queue of failed work holds a message (construct id: the queue's, plus `Alarm`). */
  private alarmOnMessages(queue: sqs.IQueue, description: string): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, `${queue.node.id}Alarm`, {
      alarmDescription: description,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // An idle queue publishes no data points: that is the healthy state, not an unknown one.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
