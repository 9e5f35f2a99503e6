/** Redirection key rotation (infra/constructs/key-rotation.ts): the deployment trigger and the 90-day rule. */
import { describe, expect, it } from 'vitest';
import type { PaylinkStack } from '../../infra/paylink-stack.js';
import { idOf, logicalId, ofType, propsOf, synthesised, type Statement } from './support.js';

const rotator = (stack: PaylinkStack) => stack.fn('redirection-key-rotator');

describe('redirection key rotation', () => {
  it('ensures a key with a deployment trigger that runs the rotator after the secret and its permissions exist', () => {
    const { resources, stack } = synthesised();
    const triggers = ofType(resources, 'Custom::Trigger');
    expect(triggers).toHaveLength(1);
    const [, trigger] = triggers[0]!;
    expect(trigger.Properties).toMatchObject({ InvocationType: 'RequestResponse', ExecuteOnHandlerChange: true });
    // The trigger invokes the rotator's current version (re-run whenever its configuration changes).
    const versionId = (trigger.Properties?.HandlerArn as { Ref: string }).Ref;
    expect(resources[versionId]?.Type).toBe('AWS::Lambda::Version');
    expect(propsOf(resources, versionId).FunctionName).toEqual({ Ref: logicalId(rotator(stack)) });
    expect(trigger.DependsOn).toEqual(expect.arrayContaining([idOf(stack.redirectionSigningKeys), idOf(rotator(stack).role)]));
    expect(trigger.DependsOn).toContain(idOf(rotator(stack).role.node.findChild('DefaultPolicy')));

    // The trigger's provider may invoke the rotator (and its versions) and nothing else.
    const providerId = (trigger.Properties?.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const roleId = (propsOf(resources, providerId).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const inline = propsOf(resources, roleId).Policies as { PolicyDocument: { Statement: Statement[] } }[];
    expect(inline.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      {
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(rotator(stack)), 'Arn'] }, ':*']] }],
      },
    ]);
  });

  it('rotates every 90 days by invoking the rotator with {"action":"rotate"}', () => {
    const { resources, stack } = synthesised();
    const scheduled = ofType(resources, 'AWS::Events::Rule').filter(([, r]) => r.Properties?.ScheduleExpression !== undefined);
    expect(scheduled).toHaveLength(1);
    const [ruleId, rule] = scheduled[0]!;
    expect(rule.Properties?.ScheduleExpression).toBe('rate(90 days)');
    const ruleTargets = rule.Properties?.Targets as { Arn: unknown; Input: string }[];
    expect(ruleTargets).toHaveLength(1);
    expect(ruleTargets[0]!.Arn).toEqual({ 'Fn::GetAtt': [logicalId(rotator(stack)), 'Arn'] });
    expect(JSON.parse(ruleTargets[0]!.Input)).toEqual({ action: 'rotate' });
    const permissions = ofType(resources, 'AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties?.SourceArn) === JSON.stringify({ 'Fn::GetAtt': [ruleId, 'Arn'] }),
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      expect.objectContaining({ Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [logicalId(rotator(stack)), 'Arn'] } }),
    ]);
  });
});
