/**
 * Alarms (infra/constructs/alarms.ts and the workflow's own): one per queue of failed work, one on
 * failed executions, one on provider notifications that did not match their link.
 */
import { describe, expect, it } from 'vitest';
import { idOf, ofType, synthesised } from './support.js';

describe('alarms', () => {
  it('alarms as soon as any DLQ or the stream-failure queue holds a visible message, and when a link workflow fails', () => {
    const { resources, stack } = synthesised();
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    // Five queues of failed work, the workflow's failed executions, and payment mismatches.
    expect(alarms).toHaveLength(7);
    const queues = [
      stack.providerWebhookDeadLetters,
      stack.merchantWebhookDeadLetters,
      stack.streamFailures,
      stack.notificationDeadLetters,
      stack.sesFeedbackDeadLetters,
    ];
    for (const queue of queues) {
      const matching = alarms.filter(
        (a) => JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(queue), 'QueueName'] } }]),
      );
      expect(matching, queue.node.path).toHaveLength(1);
      expect(matching[0]).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
    const failedExecutions = alarms.filter((a) => a.Namespace === 'AWS/States');
    expect(failedExecutions).toEqual([
      expect.objectContaining({
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: idOf(stack.linkWorkflow.stateMachine) } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      }),
    ]);
  });

  it('alarms on the first provider notification that does not match its link (the EMF metric the functions log)', () => {
    const { resources } = synthesised();
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    // Written out, not imported: the names the functions log (test/integration/provider-mismatch.test.ts checks those lines).
    expect(alarms.filter((a) => a.Namespace === 'Paylink')).toEqual([
      expect.objectContaining({
        MetricName: 'PaymentMismatches',
        Statistic: 'Sum',
        Period: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      }),
    ]);
    expect(alarms.find((a) => a.Namespace === 'Paylink')).not.toHaveProperty('Dimensions');
  });
});
