/** The cdk-nag gate (AwsSolutions), read from CDK's validation report: every finding fixed or acknowledged, where and why. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { build, idOf, logicalId } from './support.js';

describe('cdk-nag (AwsSolutions)', () => {
  interface Violation {
    ruleName: string;
    severity: string;
    acknowledgedId?: string;
    acknowledgedAt?: string;
    reason?: string;
  }
  interface PluginReport {
    pluginName: string;
    conclusion: string;
    violations: Violation[];
    suppressedViolations?: Violation[];
  }

  it('synthesises with every error fixed or acknowledged with a reason, on the constructs pinned here', () => {
    const { app, outdir, stack } = build({ merchants: ['m1'] });
    const assembly = app.synth();
    expect(assembly.directory).toBe(outdir);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: PluginReport[] };
    const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    // The plugin ran: its acknowledged findings are in the report (so an empty list is not vacuous).
    expect(nag).toBeDefined();
    expect(nag!.conclusion).toBe('success');
    const open = report.pluginReports.flatMap((r) => r.violations.filter((v) => v.severity === 'error' || v.severity === 'fatal'));
    expect(open).toEqual([]);
    const acknowledged = nag!.suppressedViolations ?? [];
    for (const v of acknowledged) expect(v.reason?.length ?? 0, v.ruleName).toBeGreaterThan(40);
    // A new acknowledgement is a design decision: it must be added here, on purpose.
    expect([...new Set(acknowledged.map((v) => v.ruleName))].sort()).toEqual(
      [
        'AwsSolutions-APIG2',
        'AwsSolutions-APIG3',
        'AwsSolutions-APIG4',
        'AwsSolutions-COG4',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'AwsSolutions-IAM5[Resource::*]',
        // The state machine may invoke its two task functions (and their versions or aliases).
        `AwsSolutions-IAM5[Resource::<${logicalId(stack.fn('workflow-reminder'))}.Arn>:*]`,
        `AwsSolutions-IAM5[Resource::<${logicalId(stack.fn('workflow-expire'))}.Arn>:*]`,
        // The dispatcher may stop this state machine's executions, whose names are link ids.
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${idOf(stack.linkWorkflow.stateMachine)}"}]}]}:*]`,
        'AwsSolutions-L1',
        'AwsSolutions-SMG4',
        'AwsSolutions-SQS3',
      ].sort(),
    );
    // …and where: each rule on the constructs below, and nowhere else.
    const at = (rule: string, c: IConstruct) => `${rule} @ ${c.node.path}`;
    const perFunction = [...stack.functions.values()].flatMap((fn) => [at('AwsSolutions-L1', fn.fn), at('AwsSolutions-IAM5[Resource::*]', fn.role)]);
    expect([...new Set(acknowledged.map((v) => `${v.ruleName} @ ${v.acknowledgedAt ?? ''}`))].sort()).toEqual(
      [
        ...['APIG2', 'APIG3', 'APIG4', 'COG4'].map((rule) => at(`AwsSolutions-${rule}`, stack.api)),
        at('AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', stack.api.node.findChild('CloudWatchRole')),
        ...perFunction,
        // Token keys rotated by hand; redirection keys by the scheduled rotator; provider credentials at the provider.
        at('AwsSolutions-SMG4', stack.tokenSigningKeys),
        at('AwsSolutions-SMG4', stack.redirectionSigningKeys),
        at('AwsSolutions-SMG4', stack.providerConfig),
        // The stream's on-failure destination (the other DLQs are recognised as DLQs and need none).
        at('AwsSolutions-SQS3', stack.streamFailures),
        // X-Ray and log delivery on the state machine role; its task functions' qualifiers.
        at('AwsSolutions-IAM5[Resource::*]', stack.linkWorkflow.stateMachine.role),
        at(`AwsSolutions-IAM5[Resource::<${logicalId(stack.fn('workflow-reminder'))}.Arn>:*]`, stack.linkWorkflow.stateMachine.role),
        at(`AwsSolutions-IAM5[Resource::<${logicalId(stack.fn('workflow-expire'))}.Arn>:*]`, stack.linkWorkflow.stateMachine.role),
        at(
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${idOf(stack.linkWorkflow.stateMachine)}"}]}]}:*]`,
          stack.fn('stream-dispatcher').role,
        ),
      ].sort(),
    );
    // The notifier's Resource::* covers sns:Publish to phone numbers as well as X-Ray: its reason must say so.
    const notifierWildcard = acknowledged.find((v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]' && v.acknowledgedAt === stack.fn('notifier').role.node.path);
    expect(notifierWildcard?.reason).toMatch(/sns:Publish/);
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    const { app, stack } = build();
    new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
