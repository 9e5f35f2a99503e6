/**
 * Real concurrency for race tests: queue consumers invoked the way Lambda scales out (each message
 * in its own invocation, all at once), failed messages redelivered the way SQS redelivers them, and
 * a clock that can be moved forward (expiry races need "now" past expires_at without waiting).
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext } from '../../sandbox/lambda-context.js';
import { toSqsRecord } from '../../sandbox/sqs-poller.js';
import type { Clock } from '../../shared/domain/ports.js';

export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface ConcurrentRun {
  /** Invocations in all, redeliveries included. */
  invocations: number;
  /** Messages that failed at least once and were redelivered. */
  redelivered: number;
  /** Bodies still failing after `maxReceives` receives (SQS would move them to the DLQ). */
  deadLettered: string[];
}

const SOURCE = { queueArn: 'arn:aws:sqs:eu-west-1:000000000000:race', region: 'eu-west-1' };

/**
 * Invokes `handler` once per body, all concurrently (Lambda's scale-out over a queue). A message
 * reported in batchItemFailures (or whose invocation threw) is received again as soon as its
 * invocation ends (SQS brings it back one visibility timeout after its own failure, which spreads
 * the redeliveries as the failures were spread), up to `maxReceives` receives in all; one still
 * failing then is what SQS would move to the DLQ.
 */
export async function invokeConcurrently(
  handler: QueueHandler,
  bodies: string[],
  options: { functionName: string; maxReceives: number },
): Promise<ConcurrentRun> {
  const run: ConcurrentRun = { invocations: 0, redelivered: 0, deadLettered: [] };
  const once = async (messageId: string, body: string, receive: number): Promise<boolean> => {
    run.invocations += 1;
    const record = toSqsRecord({ MessageId: messageId, ReceiptHandle: randomUUID(), Body: body, Attributes: { ApproximateReceiveCount: String(receive) } }, SOURCE);
    try {
      const response = await handler({ Records: [record] }, lambdaContext(options.functionName));
      return (response?.batchItemFailures ?? []).length === 0;
    } catch {
      return false;
    }
  };
  await Promise.all(
    bodies.map(async (body) => {
      const messageId = randomUUID();
      for (let receive = 1; receive <= options.maxReceives; receive++) {
        if (await once(messageId, body, receive)) return;
        if (receive === 1) run.redelivered += 1;
      }
      run.deadLettered.push(body);
    }),
  );
  return run;
}

/** The body the provider-webhook receiver queues for a verified provider notification. */
export function providerEventMessage(rawBody: string, provider = 'sandbox'): string {
  return JSON.stringify({ provider, raw_body: rawBody, received_at: new Date().toISOString() });
}

/** The real time plus an offset that a test may only move forward (time never runs backwards). */
export class ShiftedClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock only moves forward');
    this.offsetMs += ms;
  }
}
