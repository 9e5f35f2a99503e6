/**
 * Customer notifications (infra/constructs/notifications.ts): the notifications queue and the
 * notifier, the SES sender (identity, configuration set), and bounces and complaints coming back
 * through the feedback topic and queue to the feedback handler.
 */
import { ArnFormat } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseNotificationSender } from '../../infra/build-app.js';
import { DEFAULT_NOTIFICATION_FROM_ADDRESS } from '../../infra/constructs/notifications.js';
import type { PaylinkStack } from '../../infra/paylink-stack.js';
import {
  asList,
  build,
  expectQueueWithDlq,
  idOf,
  logicalId,
  ofType,
  onlyReaderOf,
  propsOf,
  roleStatements,
  synthesised,
  type CfnResource,
  type Json,
  type Statement,
} from './support.js';

const NOTIFIER = 'notifier';
const FEEDBACK_HANDLER = 'ses-feedback-handler';

describe('notifications', () => {
  it('queues them in an encrypted, TLS-only queue with a 14-day DLQ after 5 failed receives', () => {
    const synth = synthesised();
    expect(idOf(synth.stack.notifications)).toMatch(/^Notifications/);
    expectQueueWithDlq(synth, synth.stack.notifications, synth.stack.notificationDeadLetters, 5);
  });

  it('feeds only the notifier, in batches of 10, reporting item failures, at bounded concurrency', () => {
    const { resources, stack } = synthesised();
    const mapping = onlyReaderOf(resources, stack.notifications);
    expect(mapping.FunctionName).toEqual({ Ref: logicalId(stack.fn(NOTIFIER)) });
    expect(mapping.BatchSize).toBe(10);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // SES and SNS sending quotas are per second and per account: a few notifiers at once.
    expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: expect.any(Number) });
    expect((mapping.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency).toBeLessThanOrEqual(10);
  });

  it('gives the notifier a timeout that the queue visibility timeout covers six times over', () => {
    const { resources, stack } = synthesised();
    const timeout = propsOf(resources, logicalId(stack.fn(NOTIFIER))).Timeout as number;
    expect(timeout).toBeGreaterThanOrEqual(30);
    expect(propsOf(resources, idOf(stack.notifications)).VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('lets the notifier publish SMS on * only in the stack region, and send email only as the sender, through the configuration set', () => {
    const { resources, stack } = synthesised();
    const statements = roleStatements<Statement & { Condition?: Json }>(resources, stack.fn(NOTIFIER).role);
    const sms = statements.filter((st) => asList(st.Action).includes('sns:Publish'));
    expect(sms).toEqual([
      { Sid: 'SendNotificationSms', Effect: 'Allow', Action: 'sns:Publish', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } } },
    ]);
    const email = statements.filter((st) => asList(st.Action).includes('ses:SendEmail'));
    expect(email).toHaveLength(1);
    expect(email[0]!.Action).toBe('ses:SendEmail');
    expect(JSON.stringify(email[0]!.Resource)).not.toContain('"*"');
    // No other role may send email or SMS.
    const senders = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => /ses:SendEmail|sns:Publish"/.test(JSON.stringify(p.Properties?.PolicyDocument)))
      .flatMap(([, p]) => (p.Properties?.Roles as { Ref: string }[]).map((r) => r.Ref));
    expect(senders).toEqual([idOf(stack.fn(NOTIFIER).role)]);
  });
});

describe('SES sender and feedback', () => {
  it('creates the sender identity with the configuration set as its default', () => {
    const { template, stack } = synthesised();
    template.resourceCountIs('AWS::SES::EmailIdentity', 1);
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: DEFAULT_NOTIFICATION_FROM_ADDRESS,
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: idOf(stack.sesConfigurationSet) } },
    });
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'paylink', SendingOptions: { SendingEnabled: true } });
  });

  it('warns at synth when the sender is the unverifiable default, and not when one is given', () => {
    const warnings = (stack: PaylinkStack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('notificationFromAddress'));
    expect(warnings(synthesised().stack)).toHaveLength(1);
    expect(warnings(build({ notificationFromAddress: 'links@pay.example.org' }).stack)).toEqual([]);
  });

  it('publishes bounces and complaints, and nothing else, to a KMS-encrypted TLS-only topic that SES alone may publish to', () => {
    const { template, resources, stack } = synthesised();
    const topicId = idOf(stack.sesFeedbackTopic);
    template.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 1);
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: idOf(stack.sesConfigurationSet) },
      EventDestination: { Enabled: true, MatchingEventTypes: ['bounce', 'complaint'], SnsDestination: { TopicARN: { Ref: topicId } } },
    });
    const keyId = idOf(stack.sesFeedbackKey);
    expect(propsOf(resources, topicId).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(propsOf(resources, keyId).EnableKeyRotation).toBe(true);

    const [[, topicPolicy]] = ofType(resources, 'AWS::SNS::TopicPolicy') as [[string, CfnResource]];
    expect(topicPolicy.Properties?.Topics).toEqual([{ Ref: topicId }]);
    const statements = (topicPolicy.Properties?.PolicyDocument as { Statement: Array<Statement & { Principal: unknown; Condition: Json }> }).Statement;
    expect(statements).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Principal: { Service: 'ses.amazonaws.com' },
        Resource: { Ref: topicId },
        Condition: {
          StringEquals: {
            'AWS:SourceAccount': { Ref: 'AWS::AccountId' },
            'AWS:SourceArn': stack.resolve(stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: stack.sesConfigurationSet.configurationSetName })),
          },
        },
      }),
    ]);

    // SES may use the key for this topic only (the encryption context SNS sets names the topic).
    const keyStatements = (propsOf(resources, keyId).KeyPolicy as { Statement: Array<Statement & { Principal: unknown; Condition?: Json }> }).Statement;
    const forSes = keyStatements.filter((st) => JSON.stringify(st.Principal).includes('ses.amazonaws.com'));
    expect(forSes).toEqual([
      expect.objectContaining({
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'kms:EncryptionContext:aws:sns:topicArn': stack.resolve(stack.formatArn({ service: 'sns', resource: 'paylink-ses-feedback', arnFormat: ArnFormat.NO_RESOURCE_NAME })),
          },
        },
      }),
    ]);
    // …which is this topic's ARN: its name is fixed so that the key policy can name it without a cycle.
    expect(propsOf(resources, topicId).TopicName).toBe('paylink-ses-feedback');
  });

  it('delivers the SNS envelope (raw delivery off) to an encrypted, TLS-only queue with a DLQ, sent to by that topic only', () => {
    const synth = synthesised();
    const { template, resources, stack } = synth;
    const queueId = idOf(stack.sesFeedback);
    expectQueueWithDlq(synth, stack.sesFeedback, stack.sesFeedbackDeadLetters, 5);
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: idOf(stack.sesFeedbackTopic) },
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      RawMessageDelivery: false,
    });
    const policies = ofType(resources, 'AWS::SQS::QueuePolicy').filter(([, p]) => JSON.stringify(p.Properties?.Queues) === JSON.stringify([{ Ref: queueId }]));
    const allows = policies.flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: Array<Statement & { Principal: unknown; Condition: Json }> }).Statement).filter((st) => st.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Principal: { Service: 'sns.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: idOf(stack.sesFeedbackTopic) } } },
      }),
    ]);
  });

  it('feeds only the feedback handler, reporting item failures, with six times its timeout as visibility', () => {
    const { resources, stack } = synthesised();
    const mapping = onlyReaderOf(resources, stack.sesFeedback);
    expect(mapping.FunctionName).toEqual({ Ref: logicalId(stack.fn(FEEDBACK_HANDLER)) });
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const timeout = propsOf(resources, logicalId(stack.fn(FEEDBACK_HANDLER))).Timeout as number;
    expect(propsOf(resources, idOf(stack.sesFeedback)).VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('verifies a domain instead when one is given, grants the send on the domain and the address, and outputs the DKIM records', () => {
    const { stack } = build({ notificationDomain: 'pay.example.org', notificationFromAddress: 'Paylink <links@pay.example.org>' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SES::EmailIdentity', 1);
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'pay.example.org',
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: idOf(stack.sesConfigurationSet) } },
    });
    const resources = template.toJSON().Resources as Record<string, CfnResource>;
    const email = ofType(resources, 'AWS::IAM::Policy')
      .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((st) => asList(st.Action).includes('ses:SendEmail'));
    expect(email.flatMap((st) => asList(st.Resource))).toEqual([
      stack.resolve(stack.senderIdentity.emailIdentityArn),
      stack.resolve(stack.formatArn({ service: 'ses', resource: 'identity', resourceName: 'links@pay.example.org' })),
      stack.resolve(stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: stack.sesConfigurationSet.configurationSetName })),
    ]);
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['SenderDkimRecord1', 'SenderDkimRecord2', 'SenderDkimRecord3']));
  });

  it('refuses a sender outside the domain, a malformed address or domain, and an SMS sender id SNS would refuse', () => {
    expect(() => build({ notificationDomain: 'pay.example.org', notificationFromAddress: 'links@example.org' })).toThrow(/not in notificationDomain/);
    const context = (values: Record<string, string>) => parseNotificationSender((name) => values[name]);
    expect(context({})).toEqual({});
    expect(context({ notificationFromAddress: 'Paylink <links@pay.example.org>', smsSenderId: 'Paylink' })).toEqual({
      notificationFromAddress: 'Paylink <links@pay.example.org>',
      smsSenderId: 'Paylink',
    });
    expect(() => context({ notificationFromAddress: 'links' })).toThrow(/email address/);
    expect(() => context({ notificationFromAddress: 'a@b.example, c@d.example' })).toThrow(/email address/);
    expect(() => context({ notificationDomain: 'https://pay.example.org' })).toThrow(/notificationDomain/);
    expect(() => context({ smsSenderId: 'Pay-link' })).toThrow(/sender id/);
    expect(() => context({ smsSenderId: '12345' })).toThrow(/sender id/);
  });
});
