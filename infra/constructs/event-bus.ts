/**
 * The event bus: internal subscribers listen here instead of polling the API (the stream dispatcher
 * publishes every link change, docs/events.md). A custom bus (not `default`) so that PutEvents can
 * be granted on this bus alone and subscribers' rules do not mix with others.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../shared/domain/link/events.js';
import type { LinkStatus } from '../../shared/domain/link/status.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';

export class LinkEvents extends Concern {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: { access: FunctionAccess }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: stack.stackName.toLowerCase() });
    // The archive makes a subscriber's bug recoverable: replay the last 90 days into a fixed rule.
    this.bus.archive('Archive', {
      description: 'Every Paylink event, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(90),
    });
    this.addPaidLinksExampleRule();
    props.access.provide({ bus: this.bus });
  }

  /**
   * A rule to copy: PAID links, written to a log group, so an operator can watch payments arrive and
   * a subscriber sees the exact pattern to use. The log group's resource policy is a native
   * AWS::Logs::ResourcePolicy limited to this log group and this rule (the events-targets
   * CloudWatchLogGroup target would instead deploy a custom-resource Lambda allowed on `*`).
   */
  private addPaidLinksExampleRule(): void {
    const stack = Stack.of(this);
    const paid: LinkStatus = 'PAID';
    const paidLinks = new logs.LogGroup(this, 'PaidLinksLog', {
      // EventBridge log-group targets must live under /aws/events/.
      logGroupName: `/aws/events/${stack.stackName.toLowerCase()}/paid-links`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const rule = new events.Rule(this, 'PaidLinksExample', {
      eventBus: this.bus,
      description: 'Example subscriber: payment links that became PAID',
      eventPattern: { source: [EVENT_SOURCE], detailType: [DETAIL_TYPES.linkStatusChanged], detail: { status: [paid] } },
    });
    const logGroupTargetArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: paidLinks.logGroupName,
    });
    rule.addTarget({ bind: () => ({ arn: logGroupTargetArn }) });
    new logs.ResourcePolicy(this, 'PaidLinksLogPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [paidLinks.logGroupArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      ],
    });
  }
}
