/**
 * A queue of shared/app/queues.ts as the stack makes each one: encrypted, TLS only, with its
 * dead-letter queue after the queue's maxReceives, a visibility timeout six times its consumer's
 * timeout, and its consumer (the one manifest function the queue triggers) fed record by record.
 */
import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { functionsTriggeredBy } from '../../shared/app/functions.js';
import { QUEUES, type QueueName } from '../../shared/app/queues.js';
import { DEFAULT_TIMEOUT_SECONDS, type PaylinkFunction } from '../paylink-function.js';
import type { FunctionAccess } from './function-access.js';

export interface QueueWithDeadLetters {
  queue: sqs.Queue;
  deadLetters: sqs.Queue;
}

/** The one manifest function a queue triggers, with its trigger. */
export function consumerOf(queue: QueueName) {
  const consumers = functionsTriggeredBy('queue').filter((entry) => entry.trigger.queue === queue);
  if (consumers.length !== 1) throw new Error(`the queue ${queue} must trigger exactly one manifest function, not ${consumers.length}`);
  return consumers[0]!;
}

/** Creates the queue `name` (construct id `ids.queue`) and its DLQ (`ids.deadLetters`) in `scope`. */
export function queueWithDeadLetters(scope: Construct, name: QueueName, ids: { queue: string; deadLetters: string }): QueueWithDeadLetters {
  const consumer = consumerOf(name);
  // Messages still failing after the queue's maxReceives receives are parked here for an operator
  // (alarms.ts). 14 days, the SQS maximum: a standard queue's DLQ keeps the original enqueue time,
  // so it must hold messages longer than the source queue does.
  // (cdk-nag's SQS3 recognises a redrive target as a DLQ: nothing to acknowledge here.)
  const deadLetters = new sqs.Queue(scope, ids.deadLetters, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, ids.queue, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(4),
    // AWS's rule for Lambda event sources: at least six times the function timeout, so a batch
    // still being processed (or retried by the poller) is not handed to a second consumer.
    visibilityTimeout: Duration.seconds((consumer.spec.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 6),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: QUEUES[name].maxReceives },
  });
  return { queue, deadLetters };
}

/** Creates the queue's consumer in `scope`, fed in batches as its manifest trigger says. */
export function addQueueConsumer(scope: Construct, access: FunctionAccess, name: QueueName, queue: sqs.IQueue): PaylinkFunction {
  const consumer = consumerOf(name);
  const { batchSize, maxBatchingWindowSeconds, maxConcurrency } = consumer.trigger;
  const fn = access.addFunction(scope, consumer);
  fn.fn.addEventSource(
    new SqsEventSource(queue, {
      batchSize,
      ...(maxBatchingWindowSeconds !== undefined ? { maxBatchingWindow: Duration.seconds(maxBatchingWindowSeconds) } : {}),
      // The handler reports the records that failed; the others are deleted, not retried, and a
      // message that fails comes back alone.
      reportBatchItemFailures: true,
      ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
    }),
  );
  return fn;
}
