/**
 * Outbound merchant webhooks. The dispatcher (dispatch.ts) records each delivery in the table and
 * queues it here; the sender makes one attempt per message and records it on the delivery. Endpoint
 * failures are not SQS retries: the sender deletes the message it consumed and enqueues the next
 * attempt itself, with DelaySeconds from the delivery's schedule (5 s … 10 h, honouring Retry-After;
 * waits beyond SQS's 15-minute maximum are chained in hops). A merchant endpoint that answers 500 or
 * times out therefore never moves a message towards the DLQ: the redrive only counts messages the
 * sender itself failed to process (a table or queue error, an unreadable message).
 *
 * Each message lives at most one hop (≤ 15 minutes of delay) before the sender consumes it. Its
 * visibility timeout is six times the sender's timeout, as for the provider webhooks: a message the
 * sender reports as failed becomes visible again after it (9 minutes), so a transient table error
 * delays a delivery by minutes rather than retrying in a tight loop.
 *
 * The sender's table access: the delivery recorded (GetItem/PutItem), the merchant's secrets read or
 * created, an endpoint marked gone on a 410 and the mark deleted by a successful replay (hence
 * DeleteItem); SendMessage for the next attempt (receive and delete come with the event source).
 *
 * No VPC: it calls merchants' HTTPS endpoints on the internet. The SSRF guard is in the code and a
 * VPC would not replace it: with URL_POLICY=production only https URLs are called, and only when
 * every address the host resolves to is public, checked at send time after DNS resolution (so a DNS
 * change cannot point a vetted URL at 169.254.169.254 or a private range). In a VPC the function
 * would need a NAT gateway per AZ to reach the internet at all, and still the same check.
 */
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { PaylinkFunction } from '../paylink-function.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';
import { addQueueConsumer, queueWithDeadLetters } from './queues.js';

export class MerchantWebhooks extends Concern {
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly sender: PaylinkFunction;

  constructor(scope: Construct, id: string, props: { access: FunctionAccess }) {
    super(scope, id);
    const { queue, deadLetters } = queueWithDeadLetters(this, 'webhookDeliveries', { queue: 'MerchantWebhooks', deadLetters: 'MerchantWebhookDeadLetters' });
    this.queue = queue;
    this.deadLetters = deadLetters;
    props.access.provideQueue('webhookDeliveries', queue);
    this.sender = addQueueConsumer(this, props.access, 'webhookDeliveries', queue);
  }
}
