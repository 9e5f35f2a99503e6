/** The stream dispatcher (infra/constructs/dispatch.ts): the table's stream event source and its failure queue. */
import { describe, expect, it } from 'vitest';
import { idOf, mappingsOf, synthesised } from './support.js';

describe('stream dispatcher', () => {
  it('reads the stream from the start, in batches, reporting item failures, parking poison records, and only for link items', () => {
    const { template, resources, stack } = synthesised();
    // The stream, and the four queues: provider webhooks, merchant webhooks, notifications, SES feedback.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 5);
    const mappings = mappingsOf(resources, stack.fn('stream-dispatcher'));
    expect(mappings).toHaveLength(1);
    const p = mappings[0]!;
    expect(p.EventSourceArn).toEqual({ 'Fn::GetAtt': [idOf(stack.table), 'StreamArn'] });
    expect(p.StartingPosition).toBe('TRIM_HORIZON');
    expect(p.BatchSize).toBe(100);
    expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(p.BisectBatchOnFunctionError).toBe(true);
    expect(p.MaximumRetryAttempts).toEqual(expect.any(Number));
    expect(p.MaximumRetryAttempts as number).toBeGreaterThanOrEqual(0);
    expect(p.MaximumRetryAttempts as number).toBeLessThanOrEqual(20);

    const filters = (p.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((f) => JSON.parse(f.Pattern) as unknown)).toEqual([{ dynamodb: { Keys: { SK: { S: ['LINK'] } } } }]);

    const queueArn = (p.DestinationConfig as { OnFailure: { Destination: { 'Fn::GetAtt': [string, string] } } }).OnFailure.Destination;
    const queueId = queueArn['Fn::GetAtt'][0];
    expect(queueId).toBe(idOf(stack.streamFailures));
    expect(resources[queueId]?.Properties?.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [{ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
      },
    });
  });
});
