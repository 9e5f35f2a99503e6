/**
 * Inbound provider webhooks. The receiver (a route, api.ts) only verifies the signature and queues:
 * the provider gets its 202 fast and a slow or failing table write never makes it retry (or give
 * up). The consumer applies them from here, record by record, idempotent on the provider's event id;
 * it voids or refunds late payments at the provider, hence the provider configuration. Queue access
 * comes from the event source.
 */
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { PaylinkFunction } from '../paylink-function.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';
import { addQueueConsumer, queueWithDeadLetters } from './queues.js';

export class ProviderWebhooks extends Concern {
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly consumer: PaylinkFunction;

  constructor(scope: Construct, id: string, props: { access: FunctionAccess }) {
    super(scope, id);
    const { queue, deadLetters } = queueWithDeadLetters(this, 'providerEvents', { queue: 'ProviderWebhooks', deadLetters: 'ProviderWebhookDeadLetters' });
    this.queue = queue;
    this.deadLetters = deadLetters;
    props.access.provideQueue('providerEvents', queue);
    this.consumer = addQueueConsumer(this, props.access, 'providerEvents', queue);
  }
}
