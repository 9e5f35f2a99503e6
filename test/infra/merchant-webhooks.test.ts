/** Outbound merchant webhooks (infra/constructs/merchant-webhooks.ts): the delivery queue, its DLQ, the sender. */
import { describe, expect, it } from 'vitest';
import { ATTEMPT_TIMEOUT_MS } from '../../shared/domain/merchant-webhooks/delivery.js';
import { expectQueueWithDlq, idOf, logicalId, mappingsOf, ofType, propsOf, synthesised } from './support.js';

const SENDER = 'merchant-webhook-sender';

describe('merchant webhooks', () => {
  it('queues them in an encrypted, TLS-only queue with a 14-day DLQ after 5 failed receives', () => {
    const synth = synthesised();
    expect(idOf(synth.stack.merchantWebhooks)).toMatch(/^MerchantWebhooks/);
    expect(idOf(synth.stack.merchantWebhookDeadLetters)).toMatch(/^MerchantWebhookDeadLetters/);
    expectQueueWithDlq(synth, synth.stack.merchantWebhooks, synth.stack.merchantWebhookDeadLetters, 5);
  });

  it('feeds the sender in batches of 5, reporting item failures', () => {
    const { resources, stack } = synthesised();
    const mappings = mappingsOf(resources, stack.fn(SENDER));
    expect(mappings).toHaveLength(1);
    const p = mappings[0]!;
    expect(p.EventSourceArn).toEqual({ 'Fn::GetAtt': [idOf(stack.merchantWebhooks), 'Arn'] });
    expect(p.BatchSize).toBe(5);
    expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // Nothing else reads the delivery queue.
    const readers = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => JSON.stringify(m.Properties?.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [idOf(stack.merchantWebhooks), 'Arn'] }),
    );
    expect(readers).toHaveLength(1);
  });

  it('gives the sender time for a whole batch of timed-out attempts, and the queue six times that as visibility timeout', () => {
    const { resources, stack } = synthesised();
    const sender = stack.fn(SENDER);
    const timeout = propsOf(resources, logicalId(sender)).Timeout as number;
    const [mapping] = mappingsOf(resources, sender);
    const batch = mapping!.BatchSize as number;
    // Attempts in a batch run one after the other; each may take the full attempt timeout.
    expect(timeout).toBeGreaterThan((batch * ATTEMPT_TIMEOUT_MS) / 1000);
    // …but not so long that a failed message waits an hour to come back (6 × timeout).
    expect(timeout).toBeLessThanOrEqual(180);
    const visibility = propsOf(resources, idOf(stack.merchantWebhooks)).VisibilityTimeout as number;
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('runs the sender outside any VPC (merchant endpoints are on the internet; SSRF is checked in code)', () => {
    const { resources, stack } = synthesised();
    const sender = propsOf(resources, logicalId(stack.fn(SENDER)));
    expect(sender.VpcConfig).toBeUndefined();
    expect(ofType(resources, 'AWS::EC2::NatGateway')).toEqual([]);
    expect(ofType(resources, 'AWS::EC2::VPC')).toEqual([]);
  });
});
