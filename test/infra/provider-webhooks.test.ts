/** Inbound provider webhooks (infra/constructs/provider-webhooks.ts): the queue, its DLQ, the consumer's event source. */
import { describe, expect, it } from 'vitest';
import { expectQueueWithDlq, idOf, logicalId, ofType, propsOf, synthesised } from './support.js';

const CONSUMER = 'provider-webhook-consumer';

describe('provider webhooks', () => {
  it('queues them in an encrypted, TLS-only queue with a 14-day DLQ after 5 receives', () => {
    const synth = synthesised();
    expectQueueWithDlq(synth, synth.stack.providerWebhooks, synth.stack.providerWebhookDeadLetters, 5);
  });

  it('feeds the consumer in batches of 10 with a short window, reporting item failures', () => {
    const { resources, stack } = synthesised();
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: logicalId(stack.fn(CONSUMER)) }),
    );
    expect(mappings).toHaveLength(1);
    const p = mappings[0]![1].Properties!;
    expect(p.EventSourceArn).toEqual({ 'Fn::GetAtt': [idOf(stack.providerWebhooks), 'Arn'] });
    expect(p.BatchSize).toBe(10);
    expect(p.MaximumBatchingWindowInSeconds).toEqual(expect.any(Number));
    expect(p.MaximumBatchingWindowInSeconds as number).toBeGreaterThan(0);
    expect(p.MaximumBatchingWindowInSeconds as number).toBeLessThanOrEqual(5);
    expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('gives the consumer a timeout that the queue visibility timeout covers six times over', () => {
    const { resources, stack } = synthesised();
    const timeout = propsOf(resources, logicalId(stack.fn(CONSUMER))).Timeout as number;
    const visibility = propsOf(resources, idOf(stack.providerWebhooks)).VisibilityTimeout as number;
    expect(timeout).toBeGreaterThan(0);
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });
});
