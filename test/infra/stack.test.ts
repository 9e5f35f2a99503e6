/**
 * The synthesised template, asserted against the names the code uses (ROUTES, TABLE_KEYS, the event
 * source), and the cdk-nag gate read from CDK's validation report. Builds through buildApp, the same
 * construction `cdk synth` uses; bundling is skipped, nothing touches AWS or the network.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArnFormat, Fn, Stack, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, parseMerchants, parseNotificationSender } from '../../infra/build-app.js';
import type { PaylinkFunction } from '../../infra/paylink-function.js';
import {
  DEFAULT_NOTIFICATION_FROM_ADDRESS,
  DISPATCHER_FN,
  KEY_ROTATOR_FN,
  NOTIFIER_FN,
  SES_FEEDBACK_FN,
  WEBHOOK_CONSUMER_FN,
  WEBHOOK_SENDER_FN,
  WORKFLOW_EXPIRE_FN,
  WORKFLOW_REMINDER_FN,
  type PaylinkStack,
} from '../../infra/paylink-stack.js';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb.js';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../shared/domain/link/events.js';
import { ATTEMPT_TIMEOUT_MS } from '../../shared/domain/merchant-webhooks/delivery.js';
import { ROUTES } from '../../shared/routes.js';

type Json = Record<string, unknown>;
interface CfnResource {
  Type: string;
  Properties?: Json;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function build(context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'paylink-infra-'));
  outdirs.push(outdir);
  // In-memory mode: a failed validation throws with the report in the message.
  const built = buildApp({ ...NO_BUNDLING, '@aws-cdk/core:appMode': 'inmemory', ...context }, { outdir });
  return { ...built, outdir };
}

interface Synthesised {
  template: Template;
  resources: Record<string, CfnResource>;
  stack: PaylinkStack;
}
const templateOf = (stack: PaylinkStack): Synthesised => {
  const template = Template.fromStack(stack);
  return { template, resources: template.toJSON().Resources as Record<string, CfnResource>, stack };
};

const synthesised = (() => {
  let cached: Synthesised | undefined;
  return () => (cached ??= templateOf(build().stack));
})();

const ofType = (resources: Record<string, CfnResource>, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

/** Logical id of a construct's CloudFormation resource (its default child). */
const idOf = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const logicalId = (fn: PaylinkFunction) => idOf(fn.fn);

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The function a route or a non-route folder name refers to; fails the test when there is none. */
const fnOf = (stack: PaylinkStack, name: string): PaylinkFunction => {
  const fn = stack.functions.get(name);
  if (!fn) throw new Error(`no function ${name} in the stack`);
  return fn;
};

const propsOf = (resources: Record<string, CfnResource>, id: string): Json => {
  const r = resources[id];
  if (!r) throw new Error(`no resource ${id} in the template`);
  return r.Properties ?? {};
};

/** The event source mappings that invoke a function. */
const mappingsOf = (resources: Record<string, CfnResource>, fn: PaylinkFunction) =>
  ofType(resources, 'AWS::Lambda::EventSourceMapping')
    .filter(([, m]) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: logicalId(fn) }))
    .map(([, m]) => m.Properties ?? {});

/** The API's stage URL (`https://{api}.execute-api.{region}.{suffix}/v1`) without its trailing slash. */
function stageUrlWithoutSlash(stack: PaylinkStack): unknown {
  const url = stack.resolve(stack.api.url) as { 'Fn::Join': [string, unknown[]] };
  const [separator, parts] = url['Fn::Join'];
  const last = parts.at(-1);
  if (separator !== '' || typeof last !== 'string' || !last.endsWith('/')) throw new Error(`unexpected API URL ${JSON.stringify(url)}`);
  const trimmed = last.slice(0, -1);
  return { 'Fn::Join': ['', [...parts.slice(0, -1), ...(trimmed ? [trimmed] : [])]] };
}

interface EnvironmentContext {
  publicApiBaseUrl?: string;
  notificationFromAddress?: string;
  smsSenderId?: string;
}

/** The environment each function must get, exactly (besides NODE_OPTIONS, which every one gets). */
function expectedEnvironments(stack: PaylinkStack, context: EnvironmentContext = {}): Record<string, Json> {
  const { publicApiBaseUrl } = context;
  const ref = (c: IConstruct) => ({ Ref: idOf(c) });
  const TABLE_NAME = ref(stack.table);
  const LOG_LEVEL = 'info';
  const urls = { URL_POLICY: 'production', ...(publicApiBaseUrl ? { PUBLIC_API_BASE_URL: publicApiBaseUrl } : {}) };
  const TOKEN_KEYS_SECRET_ARN = ref(stack.tokenSigningKeys);
  const DELIVERY_QUEUE_URL = ref(stack.merchantWebhooks);
  const NOTIFICATION_QUEUE_URL = ref(stack.notifications);
  // The stage URL unless a custom domain is configured (see the dispatcher below).
  const PUBLIC_API_BASE_URL = publicApiBaseUrl ?? stageUrlWithoutSlash(stack);
  const merchantApi = { TABLE_NAME, TOKEN_KEYS_SECRET_ARN, ...urls, LOG_LEVEL };
  return {
    'oauth-token': merchantApi,
    'create-payment-link': merchantApi,
    'get-payment-link': merchantApi,
    'list-payment-links': merchantApi,
    'cancel-payment-link': merchantApi,
    // They neither check a merchant URL nor render a link: no URL policy, no base URL.
    'list-webhook-deliveries': { TABLE_NAME, TOKEN_KEYS_SECRET_ARN, LOG_LEVEL },
    'retry-webhook-delivery': { TABLE_NAME, TOKEN_KEYS_SECRET_ARN, DELIVERY_QUEUE_URL, LOG_LEVEL },
    'rotate-webhook-secret': { TABLE_NAME, TOKEN_KEYS_SECRET_ARN, LOG_LEVEL },
    // Counts the resend on the link and queues it; the notifier renders and sends.
    'resend-notification': { TABLE_NAME, TOKEN_KEYS_SECRET_ARN, NOTIFICATION_QUEUE_URL, LOG_LEVEL },
    jwks: { REDIRECTION_KEYS_SECRET_ARN: ref(stack.redirectionSigningKeys), LOG_LEVEL },
    'customer-page': { TABLE_NAME, PROVIDER_CONFIG_SECRET_ARN: ref(stack.providerConfig), ...urls, LOG_LEVEL },
    'shopper-return': {
      TABLE_NAME,
      PROVIDER_CONFIG_SECRET_ARN: ref(stack.providerConfig),
      REDIRECTION_KEYS_SECRET_ARN: ref(stack.redirectionSigningKeys),
      LOG_LEVEL,
    },
    'provider-webhook-receiver': {
      PROVIDER_CONFIG_SECRET_ARN: ref(stack.providerConfig),
      WEBHOOK_QUEUE_URL: ref(stack.providerWebhooks),
      LOG_LEVEL,
    },
    [WEBHOOK_CONSUMER_FN]: { TABLE_NAME, PROVIDER_CONFIG_SECRET_ARN: ref(stack.providerConfig), LOG_LEVEL },
    // The dispatcher renders link resources into webhook bodies, so it always has a base URL: the
    // configured one, else the stage URL as the API functions derive it from a request.
    [DISPATCHER_FN]: {
      TABLE_NAME,
      DELIVERY_QUEUE_URL,
      NOTIFICATION_QUEUE_URL,
      EVENT_BUS_NAME: ref(stack.bus),
      WORKFLOW_STATE_MACHINE_ARN: ref(stack.linkWorkflow.stateMachine),
      PUBLIC_API_BASE_URL,
      LOG_LEVEL,
    },
    [KEY_ROTATOR_FN]: { REDIRECTION_KEYS_SECRET_ARN: ref(stack.redirectionSigningKeys), LOG_LEVEL },
    // The URL policy is the sender's SSRF guard; the body it sends was rendered by the dispatcher.
    [WEBHOOK_SENDER_FN]: { TABLE_NAME, DELIVERY_QUEUE_URL, URL_POLICY: 'production', LOG_LEVEL },
    // The customer URL in each message comes from the public base URL, like the dispatcher's.
    [NOTIFIER_FN]: {
      TABLE_NAME,
      NOTIFICATION_FROM_ADDRESS: context.notificationFromAddress ?? DEFAULT_NOTIFICATION_FROM_ADDRESS,
      SES_CONFIGURATION_SET: ref(stack.sesConfigurationSet),
      ...(context.smsSenderId ? { SMS_SENDER_ID: context.smsSenderId } : {}),
      PUBLIC_API_BASE_URL,
      LOG_LEVEL,
    },
    [SES_FEEDBACK_FN]: { TABLE_NAME, LOG_LEVEL },
    [WORKFLOW_REMINDER_FN]: { TABLE_NAME, NOTIFICATION_QUEUE_URL, LOG_LEVEL },
    [WORKFLOW_EXPIRE_FN]: { TABLE_NAME, LOG_LEVEL },
  };
}

describe('table', () => {
  it('has the key schema, the three list indexes, the stream, PITR, TTL and deletion protection', () => {
    const { template, resources } = synthesised();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttl, Enabled: true },
      DeletionProtectionEnabled: true,
      SSESpecification: { SSEEnabled: true },
    });
    const [[, table]] = ofType(resources, 'AWS::DynamoDB::Table') as [[string, CfnResource]];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    const indexes = table.Properties?.GlobalSecondaryIndexes as Json[];
    const expected = [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder].map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partition, KeyType: 'HASH' },
        { AttributeName: i.sort, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));
    expect(indexes).toHaveLength(3);
    expect(indexes).toEqual(expect.arrayContaining(expected));
  });
});

describe('functions', () => {
  it('has one nodejs22.x arm64 function per route function and per non-route function, plus the trigger provider', () => {
    const { resources, stack } = synthesised();
    const routeFns = [...new Set(ROUTES.map((r) => r.fn))];
    expect([...stack.apiFunctions.keys()].sort()).toEqual([...routeFns].sort());
    expect([...stack.functions.keys()].sort()).toEqual(
      [
        ...routeFns,
        WEBHOOK_CONSUMER_FN,
        DISPATCHER_FN,
        KEY_ROTATOR_FN,
        WEBHOOK_SENDER_FN,
        NOTIFIER_FN,
        SES_FEEDBACK_FN,
        WORKFLOW_REMINDER_FN,
        WORKFLOW_EXPIRE_FN,
      ].sort(),
    );
    const ours = new Set([...stack.functions.values()].map(logicalId));
    const functions = ofType(resources, 'AWS::Lambda::Function');
    for (const [id, fn] of functions.filter(([id]) => ours.has(id))) {
      expect(fn.Properties, id).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      const logGroup = (fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources[logGroup]?.Properties?.RetentionInDays).toEqual(expect.any(Number));
    }
    expect(functions.filter(([id]) => ours.has(id))).toHaveLength(ours.size);
    // The only other function is the custom-resource provider that runs the deployment trigger.
    const [trigger] = ofType(resources, 'Custom::Trigger');
    const serviceToken = trigger?.[1].Properties?.ServiceToken as { 'Fn::GetAtt': [string, string] };
    expect(functions.filter(([id]) => !ours.has(id)).map(([id]) => id)).toEqual([serviceToken['Fn::GetAtt'][0]]);
  });

  it.each<[string, EnvironmentContext]>([
    ['without a public base URL', {}],
    ['with a public base URL', { publicApiBaseUrl: 'https://pay.example.com' }],
    ['with a sender address and an SMS sender id', { notificationFromAddress: 'Paylink <links@pay.example.org>', smsSenderId: 'Paylink' }],
  ])('tells each function exactly the names and ARNs its ports use, %s', (_label, context) => {
    const { stack, resources } = Object.keys(context).length > 0 ? templateOf(build({ ...context }).stack) : synthesised();
    const expected = expectedEnvironments(stack, context);
    expect(Object.keys(expected).sort()).toEqual([...stack.functions.keys()].sort());
    for (const [name, env] of Object.entries(expected)) {
      const actual = (propsOf(resources, logicalId(fnOf(stack, name))).Environment as { Variables: Json }).Variables;
      expect(actual, name).toEqual({ ...env, NODE_OPTIONS: '--enable-source-maps' });
    }
  });

  it('gives the consumer a timeout that the queue visibility timeout covers six times over', () => {
    const { resources, stack } = synthesised();
    const timeout = propsOf(resources, logicalId(stack.webhookConsumer)).Timeout as number;
    const visibility = propsOf(resources, idOf(stack.providerWebhooks)).VisibilityTimeout as number;
    expect(timeout).toBeGreaterThan(0);
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
  });
});

describe('secrets', () => {
  it('generates the token keys and starts the redirection keys and provider configuration as empty placeholders', () => {
    const { resources, stack } = synthesised();
    expect(ofType(resources, 'AWS::SecretsManager::Secret')).toHaveLength(3);

    const tokenKeys = propsOf(resources, idOf(stack.tokenSigningKeys));
    expect(tokenKeys.SecretString).toBeUndefined();
    expect(tokenKeys.GenerateSecretString).toEqual({
      SecretStringTemplate: JSON.stringify({ kid: 'k1' }),
      GenerateStringKey: 'secret',
      PasswordLength: 64,
      ExcludePunctuation: true,
    });

    // Secrets Manager cannot generate EC keys: an empty list that the rotator fills.
    const redirection = propsOf(resources, idOf(stack.redirectionSigningKeys));
    expect(redirection.GenerateSecretString).toBeUndefined();
    expect(redirection.SecretString).toBe('[]');

    const providers = propsOf(resources, idOf(stack.providerConfig));
    expect(providers.GenerateSecretString).toBeUndefined();
    expect(JSON.parse(providers.SecretString as string)).toEqual({ providers: [] });
  });

  it('puts no key material, provider credential or secret reference anywhere in the template', () => {
    const text = JSON.stringify(synthesised().template.toJSON());
    // A private JWK has "d"; a public or private one has "kty"; provider webhook secrets start whsec_.
    for (const pattern of [/\\"d\\"\s*:/, /\\"kty\\"/, /whsec_/, /PRIVATE KEY/, /resolve:secretsmanager/]) {
      expect(text).not.toMatch(pattern);
    }
  });
});

describe('provider webhooks', () => {
  it('queues them in an encrypted, TLS-only queue with a 14-day DLQ after 5 receives', () => {
    const synth = synthesised();
    expectQueueWithDlq(synth, synth.stack.providerWebhooks, synth.stack.providerWebhookDeadLetters, 5);
  });

  it('feeds the consumer in batches of 10 with a short window, reporting item failures', () => {
    const { resources, stack } = synthesised();
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: logicalId(stack.webhookConsumer) }),
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
});

describe('merchant webhooks', () => {
  it('queues them in an encrypted, TLS-only queue with a 14-day DLQ after 5 failed receives', () => {
    const synth = synthesised();
    expect(idOf(synth.stack.merchantWebhooks)).toMatch(/^MerchantWebhooks/);
    expect(idOf(synth.stack.merchantWebhookDeadLetters)).toMatch(/^MerchantWebhookDeadLetters/);
    expectQueueWithDlq(synth, synth.stack.merchantWebhooks, synth.stack.merchantWebhookDeadLetters, 5);
  });

  it('feeds the sender in batches of 5, reporting item failures', () => {
    const { resources, stack } = synthesised();
    const mappings = mappingsOf(resources, stack.webhookSender);
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
    const timeout = propsOf(resources, logicalId(stack.webhookSender)).Timeout as number;
    const [mapping] = mappingsOf(resources, stack.webhookSender);
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
    const sender = propsOf(resources, logicalId(stack.webhookSender));
    expect(sender.VpcConfig).toBeUndefined();
    expect(ofType(resources, 'AWS::EC2::NatGateway')).toEqual([]);
    expect(ofType(resources, 'AWS::EC2::VPC')).toEqual([]);
  });
});

/** The queue's TLS-only policy (enforceSSL). */
const expectTlsOnly = (template: Template, queueId: string) =>
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [{ Ref: queueId }],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
  });

/** A source queue and its DLQ: SQS-managed encryption, the redrive after `receives`, 14 days in the DLQ. */
function expectQueueWithDlq(synth: Synthesised, queue: sqs.Queue, dlq: sqs.Queue, receives: number) {
  const { template, resources } = synth;
  const queueId = idOf(queue);
  const dlqId = idOf(dlq);
  expect(propsOf(resources, queueId)).toMatchObject({
    SqsManagedSseEnabled: true,
    RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: receives },
  });
  const dlqProps = propsOf(resources, dlqId);
  expect(dlqProps).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  expect(dlqProps.RedrivePolicy).toBeUndefined();
  expect(dlqProps.MessageRetentionPeriod as number).toBeGreaterThan((propsOf(resources, queueId).MessageRetentionPeriod as number | undefined) ?? 4 * 24 * 3600);
  for (const id of [queueId, dlqId]) expectTlsOnly(template, id);
}

/** The one event source mapping that reads a queue, and the function it invokes. */
function onlyReaderOf(resources: Record<string, CfnResource>, queue: sqs.Queue) {
  const readers = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(
    ([, m]) => JSON.stringify(m.Properties?.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [idOf(queue), 'Arn'] }),
  );
  expect(readers, queue.node.path).toHaveLength(1);
  return readers[0]![1].Properties!;
}

describe('notifications', () => {
  it('queues them in an encrypted, TLS-only queue with a 14-day DLQ after 5 failed receives', () => {
    const synth = synthesised();
    expect(idOf(synth.stack.notifications)).toMatch(/^Notifications/);
    expectQueueWithDlq(synth, synth.stack.notifications, synth.stack.notificationDeadLetters, 5);
  });

  it('feeds only the notifier, in batches of 10, reporting item failures, at bounded concurrency', () => {
    const { resources, stack } = synthesised();
    const mapping = onlyReaderOf(resources, stack.notifications);
    expect(mapping.FunctionName).toEqual({ Ref: logicalId(stack.notifier) });
    expect(mapping.BatchSize).toBe(10);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // SES and SNS sending quotas are per second and per account: a few notifiers at once.
    expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: expect.any(Number) });
    expect((mapping.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency).toBeLessThanOrEqual(10);
  });

  it('gives the notifier a timeout that the queue visibility timeout covers six times over', () => {
    const { resources, stack } = synthesised();
    const timeout = propsOf(resources, logicalId(stack.notifier)).Timeout as number;
    expect(timeout).toBeGreaterThanOrEqual(30);
    expect(propsOf(resources, idOf(stack.notifications)).VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('lets the notifier publish SMS on * only in the stack region, and send email only as the sender, through the configuration set', () => {
    const { resources, stack } = synthesised();
    const statements = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties?.Roles as { Ref: string }[]).some((r) => r.Ref === idOf(stack.notifier.role)))
      .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: Array<Statement & { Condition?: Json }> }).Statement);
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
    expect(senders).toEqual([idOf(stack.notifier.role)]);
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
    expect(mapping.FunctionName).toEqual({ Ref: logicalId(stack.sesFeedbackHandler) });
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const timeout = propsOf(resources, logicalId(stack.sesFeedbackHandler)).Timeout as number;
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

describe('link workflow', () => {
  it('lets the state machine invoke its two task functions and nothing else', () => {
    const { resources, stack } = synthesised();
    const roleId = idOf(stack.linkWorkflow.stateMachine.role);
    const statements = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties?.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
    const invokes = statements.filter((st) => asList(st.Action).some((a) => a.startsWith('lambda:')));
    const fnArn = (fn: PaylinkFunction) => ({ 'Fn::GetAtt': [logicalId(fn), 'Arn'] });
    expect(invokes.flatMap((st) => asList(st.Action))).toEqual(['lambda:InvokeFunction', 'lambda:InvokeFunction']);
    expect(invokes.flatMap((st) => asList(st.Resource))).toEqual(
      expect.arrayContaining([stack.workflowReminder, stack.workflowExpire].flatMap((fn) => [fnArn(fn), { 'Fn::Join': ['', [fnArn(fn), ':*']] }])),
    );
    expect(invokes.flatMap((st) => asList(st.Resource))).toHaveLength(4);
    // The rest is X-Ray and log delivery (no resource ARNs exist for those).
    for (const st of statements.filter((x) => !invokes.includes(x))) {
      expect(st.Resource).toBe('*');
      for (const a of asList(st.Action)) expect(a).toMatch(/^(xray|logs):/);
    }
  });

  it('is a Standard state machine whose tasks are the stack\'s two workflow functions', () => {
    const { resources, stack } = synthesised();
    const machines = ofType(resources, 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    const props = machines[0]![1].Properties!;
    expect(props.StateMachineType).toBe('STANDARD');
    const definition = JSON.stringify(props.DefinitionString);
    expect(definition).toContain(`"${logicalId(stack.workflowReminder)}"`);
    expect(definition).toContain(`"${logicalId(stack.workflowExpire)}"`);
    // Each task Lambda finishes well inside the state machine's 30 s task timeout.
    for (const fn of [stack.workflowReminder, stack.workflowExpire]) expect(propsOf(resources, logicalId(fn)).Timeout as number).toBeLessThan(30);
  });
});

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
    expect(propsOf(resources, versionId).FunctionName).toEqual({ Ref: logicalId(stack.keyRotator) });
    expect(trigger.DependsOn).toEqual(expect.arrayContaining([idOf(stack.redirectionSigningKeys), idOf(stack.keyRotator.role)]));
    expect(trigger.DependsOn).toContain(idOf(stack.keyRotator.role.node.findChild('DefaultPolicy')));

    // The trigger's provider may invoke the rotator (and its versions) and nothing else.
    const providerId = (trigger.Properties?.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const roleId = (propsOf(resources, providerId).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const inline = propsOf(resources, roleId).Policies as { PolicyDocument: { Statement: Statement[] } }[];
    expect(inline.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      {
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.keyRotator), 'Arn'] }, ':*']] }],
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
    expect(ruleTargets[0]!.Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.keyRotator), 'Arn'] });
    expect(JSON.parse(ruleTargets[0]!.Input)).toEqual({ action: 'rotate' });
    const permissions = ofType(resources, 'AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties?.SourceArn) === JSON.stringify({ 'Fn::GetAtt': [ruleId, 'Arn'] }),
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      expect.objectContaining({ Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [logicalId(stack.keyRotator), 'Arn'] } }),
    ]);
  });
});

describe('alarms', () => {
  it('alarms as soon as any DLQ or the stream-failure queue holds a visible message, and when a link workflow fails', () => {
    const { resources, stack } = synthesised();
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    // Five queues of failed work, and the workflow's failed executions.
    expect(alarms).toHaveLength(6);
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
});

describe('stream dispatcher', () => {
  it('reads the stream from the start, in batches, reporting item failures, parking poison records, and only for link items', () => {
    const { template, resources, stack } = synthesised();
    // The stream, and the four queues: provider webhooks, merchant webhooks, notifications, SES feedback.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 5);
    const mappings = mappingsOf(resources, stack.dispatcher);
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

describe('deployment order', () => {
  it('has no dependency cycle, though the dispatcher is told the URL of the stage', () => {
    // Template.fromStack refuses a template with a cycle ("Template is undeployable"): synthesising is the check.
    const { resources, stack } = synthesised();
    const environment = JSON.stringify(propsOf(resources, logicalId(stack.dispatcher)).Environment);
    expect(environment).toContain(JSON.stringify({ Ref: idOf(stack.api.deploymentStage) }));
    // A function behind the API cannot be told the stage URL: the stage's deployment waits for its methods.
    const broken = build().stack;
    broken.apiFunctions.get('rotate-webhook-secret')!.fn.addEnvironment('API_URL', broken.api.url);
    expect(() => Template.fromStack(broken)).toThrow(/dependency cycle/);
  });
});

describe('iam', () => {
  const statementsOf = (resources: Record<string, CfnResource>) =>
    ofType(resources, 'AWS::IAM::Policy').map(([, r]) => ({
      roles: r.Properties?.Roles as { Ref: string }[],
      statements: (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    }));

  it('grants no wildcard actions anywhere', () => {
    const { resources } = synthesised();
    const actions = ofType(resources, 'AWS::IAM::Policy')
      .flatMap(([, r]) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap((s) => asList(s.Action));
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action, action).not.toMatch(/(^\*$)|(:\*$)/);
    for (const [, role] of ofType(resources, 'AWS::IAM::Role')) {
      const inline = (role.Properties?.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? [];
      for (const s of inline.flatMap((p) => p.PolicyDocument.Statement)) for (const a of asList(s.Action)) expect(a).not.toMatch(/(^\*$)|(:\*$)/);
    }
  });

  it('gives every function exactly the actions on exactly the resources it uses', () => {
    const { resources, stack } = synthesised();
    const policies = statementsOf(resources);
    const granted = (fn: PaylinkFunction) =>
      policies
        .filter((p) => p.roles.some((r) => r.Ref === idOf(fn.role)))
        .flatMap((p) => p.statements)
        .flatMap((s) => {
          expect(s.Effect).toBe('Allow');
          return asList(s.Action).flatMap((action) => asList(s.Resource).map((resource) => JSON.stringify([action, resource])));
        })
        .sort();
    const on = (actions: string[], ...resources: unknown[]) => actions.flatMap((a) => resources.map((r) => JSON.stringify([a, stack.resolve(r)])));

    const table = stack.table.tableArn;
    const indexes = [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder].map((i) => `${table}/index/${i.name}`);
    const tokenKeys = stack.tokenSigningKeys.secretArn;
    const redirectionKeys = stack.redirectionSigningKeys.secretArn;
    const providers = stack.providerConfig.secretArn;
    const deliveryQueue = stack.merchantWebhooks.queueArn;
    const notificationQueue = stack.notifications.queueArn;
    const stateMachine = stack.linkWorkflow.stateMachine.stateMachineArn;
    // execution:<state machine name>:* — every execution of this state machine (named after link ids).
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${Fn.select(6, Fn.split(':', stateMachine))}:*`,
    });
    const pollQueue = ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
    const merchantApi = [
      ...on(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], table),
      ...on(['dynamodb:Query'], ...indexes),
      ...on(['secretsmanager:GetSecretValue'], tokenKeys),
    ];
    const expected: Record<string, string[]> = {
      'oauth-token': merchantApi,
      'create-payment-link': merchantApi,
      'get-payment-link': merchantApi,
      'list-payment-links': merchantApi,
      'cancel-payment-link': merchantApi,
      // Authentication's GetItems (API key, client, merchant), the link, then a base-table Query: no index.
      'list-webhook-deliveries': [...on(['dynamodb:GetItem', 'dynamodb:Query'], table), ...on(['secretsmanager:GetSecretValue'], tokenKeys)],
      'retry-webhook-delivery': [
        ...on(['dynamodb:GetItem'], table),
        ...on(['sqs:SendMessage'], deliveryQueue),
        ...on(['secretsmanager:GetSecretValue'], tokenKeys),
      ],
      'rotate-webhook-secret': [...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table), ...on(['secretsmanager:GetSecretValue'], tokenKeys)],
      // Authentication's GetItems, the link read and written back with the resend counted, the request queued.
      'resend-notification': [
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
        ...on(['sqs:SendMessage'], notificationQueue),
        ...on(['secretsmanager:GetSecretValue'], tokenKeys),
      ],
      jwks: on(['secretsmanager:GetSecretValue'], redirectionKeys),
      'customer-page': [...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table), ...on(['secretsmanager:GetSecretValue'], providers)],
      'shopper-return': [...on(['dynamodb:GetItem'], table), ...on(['secretsmanager:GetSecretValue'], providers, redirectionKeys)],
      'provider-webhook-receiver': [...on(['secretsmanager:GetSecretValue'], providers), ...on(['sqs:SendMessage'], stack.providerWebhooks.queueArn)],
      [WEBHOOK_CONSUMER_FN]: [
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
        ...on(['secretsmanager:GetSecretValue'], providers),
        // From the SQS event source: the poller's calls, on this queue only.
        ...on(
          ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          stack.providerWebhooks.queueArn,
        ),
      ],
      [DISPATCHER_FN]: [
        ...on(['events:PutEvents'], stack.bus.eventBusArn),
        // Merchants (default webhook URL) read; deliveries and their event pointers written.
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
        ...on(['sqs:SendMessage'], deliveryQueue),
        // A new link's initial notifications, and its workflow started (and stopped when paid or cancelled).
        ...on(['sqs:SendMessage'], notificationQueue),
        ...on(['states:StartExecution'], stateMachine),
        ...on(['states:StopExecution'], executions),
        ...on(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], stack.table.tableStreamArn),
        ...on(['dynamodb:ListStreams'], '*'),
        // The stream event source's on-failure destination.
        ...on(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], stack.streamFailures.queueArn),
      ],
      [KEY_ROTATOR_FN]: on(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], redirectionKeys),
      [WEBHOOK_SENDER_FN]: [
        // Deliveries read and recorded; the merchant's secrets read (and created on first use); an
        // endpoint's 410 mark read, written, and deleted when a replay there succeeds.
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], table),
        // It queues each scheduled retry itself…
        ...on(['sqs:SendMessage'], deliveryQueue),
        // …and the SQS event source polls and deletes, on this queue only.
        ...on(
          ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          deliveryQueue,
        ),
      ],
      [NOTIFIER_FN]: [
        // The link (read, then written back with the send recorded), the merchant, the suppression item.
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
        // SES v2 SendEmail: the sender identity and the configuration set named in each request.
        ...on(['ses:SendEmail'], stack.senderIdentity.emailIdentityArn, stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: stack.sesConfigurationSet.configurationSetName })),
        // SMS to phone numbers: no ARN to name (the condition is pinned in its own test).
        ...on(['sns:Publish'], '*'),
        ...on(pollQueue, notificationQueue),
      ],
      // One UpdateItem per suppressed address; nothing else in the table.
      [SES_FEEDBACK_FN]: [...on(['dynamodb:UpdateItem'], table), ...on(pollQueue, stack.sesFeedback.queueArn)],
      // Reads the link and queues the reminders; it writes nothing.
      [WORKFLOW_REMINDER_FN]: [...on(['dynamodb:GetItem'], table), ...on(['sqs:SendMessage'], notificationQueue)],
      // Reads the link and writes it EXPIRED (conditional PutItem).
      [WORKFLOW_EXPIRE_FN]: on(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
    };
    expect(Object.keys(expected).sort()).toEqual([...stack.functions.keys()].sort());
    for (const [name, grants] of Object.entries(expected)) {
      const fn = fnOf(stack, name);
      // Every function also writes to its own log group and sends traces.
      const always = [...on(['logs:CreateLogStream', 'logs:PutLogEvents'], fn.logGroup.logGroupArn), ...on(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], '*')];
      expect(granted(fn), name).toEqual([...grants, ...always].sort());
    }
  });

  it('uses no AWS managed policy on the function roles', () => {
    const { resources, stack } = synthesised();
    for (const fn of stack.functions.values()) {
      expect(propsOf(resources, idOf(fn.role)).ManagedPolicyArns, fn.node.path).toBeUndefined();
    }
  });
});

describe('event bus', () => {
  it('has the paylink bus, a 90-day archive of paylink events and the PAID example rule on it', () => {
    const { template, stack } = synthesised();
    const busId = stack.getLogicalId(stack.bus.node.defaultChild as never);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'paylink' });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      EventPattern: { source: [EVENT_SOURCE] },
      RetentionDays: 90,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.linkStatusChanged], detail: { status: ['PAID'] } },
    });
  });
});

describe('api', () => {
  /** Full path of each AWS::ApiGateway::Resource, from the PathPart/ParentId chain. */
  function resourcePaths(resources: Record<string, CfnResource>): Map<string, string> {
    const paths = new Map<string, string>();
    const pathOf = (id: string): string => {
      const known = paths.get(id);
      if (known) return known;
      const r = resources[id]!;
      const parent = r.Properties?.ParentId as { Ref?: string };
      const full = `${parent.Ref ? pathOf(parent.Ref) : ''}/${String(r.Properties?.PathPart)}`;
      paths.set(id, full);
      return full;
    };
    for (const [id] of ofType(resources, 'AWS::ApiGateway::Resource')) pathOf(id);
    return paths;
  }

  it('has exactly one proxy method per route, with the route method, path, function and API-key requirement', () => {
    const { resources, stack } = synthesised();
    const paths = resourcePaths(resources);
    const methods = ofType(resources, 'AWS::ApiGateway::Method').map(([, m]) => {
      const p = m.Properties!;
      return {
        method: p.HttpMethod,
        path: paths.get((p.ResourceId as { Ref: string }).Ref),
        apiKeyRequired: p.ApiKeyRequired,
        integration: p.Integration as { Type: string; Uri: unknown },
      };
    });
    expect(methods.map(({ method, path, apiKeyRequired }) => ({ method, path, apiKeyRequired }))).toEqual(
      expect.arrayContaining(ROUTES.map((r) => ({ method: r.method, path: r.path, apiKeyRequired: r.apiKeyRequired }))),
    );
    expect(methods).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      const m = methods.find((x) => x.method === route.method && x.path === route.path)!;
      expect(m.integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(m.integration.Uri)).toContain(`"${logicalId(stack.apiFunctions.get(route.fn)!)}"`);
    }
  });


  it('serves the public shopper, provider and JWKS routes without an API key, through proxy integrations', () => {
    const { resources, stack } = synthesised();
    const paths = resourcePaths(resources);
    const publicRoutes = [
      ['GET', '/payment/v2/jwks', 'jwks'],
      ['GET', '/payment-links/{id}', 'customer-page'],
      ['GET', '/payment-links/{id}/return', 'shopper-return'],
      ['POST', '/webhooks/{provider}', 'provider-webhook-receiver'],
    ] as const;
    for (const [method, path, fn] of publicRoutes) {
      expect(ROUTES).toContainEqual({ method, path, fn, apiKeyRequired: false });
      const found = ofType(resources, 'AWS::ApiGateway::Method').filter(
        ([, m]) => m.Properties?.HttpMethod === method && paths.get((m.Properties.ResourceId as { Ref: string }).Ref) === path,
      );
      expect(found, `${method} ${path}`).toHaveLength(1);
      const p = found[0]![1].Properties!;
      expect(p.ApiKeyRequired).toBe(false);
      expect(p.AuthorizationType).toBe('NONE');
      // Proxy: status, headers (text/html, Location) and body come from the handler untouched.
      const integration = p.Integration as Json;
      expect(integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(integration.RequestTemplates).toBeUndefined();
      expect(integration.IntegrationResponses).toBeUndefined();
      expect(integration.ContentHandling).toBeUndefined();
      expect(JSON.stringify(integration.Uri)).toContain(`"${logicalId(fnOf(stack, fn))}"`);
    }
    // No binary media types: request bodies reach the webhook receiver as the text that was signed.
    expect(ofType(resources, 'AWS::ApiGateway::RestApi')[0]![1].Properties?.BinaryMediaTypes).toBeUndefined();
  });

  it('serves the merchant webhook routes only with an API key, through proxy integrations to their own functions', () => {
    const { resources, stack } = synthesised();
    const paths = resourcePaths(resources);
    const webhookRoutes = [
      ['GET', '/payment/v2/payment-links/{id}/webhook-deliveries', 'list-webhook-deliveries'],
      ['POST', '/payment/v2/webhook-deliveries/{event_id}/retry', 'retry-webhook-delivery'],
      ['POST', '/payment/v2/webhook-secrets/rotate', 'rotate-webhook-secret'],
    ] as const;
    for (const [method, path, fn] of webhookRoutes) {
      expect(ROUTES).toContainEqual({ method, path, fn, apiKeyRequired: true });
      const found = ofType(resources, 'AWS::ApiGateway::Method').filter(
        ([, m]) => m.Properties?.HttpMethod === method && paths.get((m.Properties.ResourceId as { Ref: string }).Ref) === path,
      );
      expect(found, `${method} ${path}`).toHaveLength(1);
      const p = found[0]![1].Properties!;
      expect(p.ApiKeyRequired).toBe(true);
      expect(p.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      expect(JSON.stringify((p.Integration as Json).Uri)).toContain(`"${logicalId(fnOf(stack, fn))}"`);
    }
    // Three functions of their own, none shared with another route.
    const fns = webhookRoutes.map(([, , fn]) => fn);
    expect(new Set(fns).size).toBe(3);
    for (const fn of fns) expect(ROUTES.filter((r) => r.fn === fn)).toHaveLength(1);
  });

  it('serves the resend route only with an API key, through a proxy integration to its own function', () => {
    const { resources, stack } = synthesised();
    const paths = resourcePaths(resources);
    const route = { method: 'POST', path: '/payment/v2/payment-links/{id}/notifications', fn: 'resend-notification', apiKeyRequired: true } as const;
    expect(ROUTES).toContainEqual(route);
    expect(ROUTES.filter((r) => r.fn === route.fn)).toHaveLength(1);
    const found = ofType(resources, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties?.HttpMethod === route.method && paths.get((m.Properties.ResourceId as { Ref: string }).Ref) === route.path,
    );
    expect(found).toHaveLength(1);
    const p = found[0]![1].Properties!;
    expect(p.ApiKeyRequired).toBe(true);
    expect(p.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
    expect(JSON.stringify((p.Integration as Json).Uri)).toContain(`"${logicalId(fnOf(stack, route.fn))}"`);
  });

  it('serves stage v1 with access logs, tracing, throttling and header API keys', () => {
    const { template, resources } = synthesised();
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
    template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0] as CfnResource;
    expect(stage.Properties).toMatchObject({ StageName: 'v1', TracingEnabled: true });
    const accessLogs = (stage.Properties?.AccessLogSetting as { DestinationArn: { 'Fn::GetAtt': [string, string] } }).DestinationArn;
    expect(resources[accessLogs['Fn::GetAtt'][0]]?.Type).toBe('AWS::Logs::LogGroup');
    const settings = stage.Properties?.MethodSettings as Json[];
    expect(settings).toEqual([expect.objectContaining({ ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number), DataTraceEnabled: false })]);
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'EventBusName',
        'TableName',
        'ProviderConfigSecretArn',
        'RedirectionKeyRotatorName',
        'NotificationSenderIdentity',
        'SesConfigurationSetName',
        'LinkWorkflowStateMachineArn',
      ]),
    );
  });

  it('creates no usage plan without merchants and one key and plan per merchant from context', () => {
    synthesised().template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    synthesised().template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);

    const template = Template.fromStack(build({ merchants: ['m1', 'm2'] }).stack);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    const stageId = Object.keys(template.findResources('AWS::ApiGateway::Stage'))[0]!;
    for (const plan of Object.values(template.findResources('AWS::ApiGateway::UsagePlan')) as CfnResource[]) {
      expect(plan.Properties).toMatchObject({
        ApiStages: [{ Stage: { Ref: stageId } }],
        Throttle: { RateLimit: expect.any(Number), BurstLimit: expect.any(Number) },
        Quota: { Limit: expect.any(Number), Period: expect.any(String) },
      });
    }
  });

  it('reads merchants from a JSON or comma-separated CLI string and rejects unsafe ids', () => {
    expect(parseMerchants(undefined)).toEqual([]);
    expect(parseMerchants('["m1","m2"]')).toEqual(['m1', 'm2']);
    expect(parseMerchants('m1, m2')).toEqual(['m1', 'm2']);
    expect(() => parseMerchants(['m/1'])).toThrow(/merchants/);
    expect(() => parseMerchants(['m1', 'm1'])).toThrow(/twice/);
  });
});

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
        `AwsSolutions-IAM5[Resource::<${logicalId(stack.workflowReminder)}.Arn>:*]`,
        `AwsSolutions-IAM5[Resource::<${logicalId(stack.workflowExpire)}.Arn>:*]`,
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
        at(`AwsSolutions-IAM5[Resource::<${logicalId(stack.workflowReminder)}.Arn>:*]`, stack.linkWorkflow.stateMachine.role),
        at(`AwsSolutions-IAM5[Resource::<${logicalId(stack.workflowExpire)}.Arn>:*]`, stack.linkWorkflow.stateMachine.role),
        at(
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${idOf(stack.linkWorkflow.stateMachine)}"}]}]}:*]`,
          stack.dispatcher.role,
        ),
      ].sort(),
    );
    // The notifier's Resource::* covers sns:Publish to phone numbers as well as X-Ray: its reason must say so.
    const notifierWildcard = acknowledged.find((v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]' && v.acknowledgedAt === stack.notifier.role.node.path);
    expect(notifierWildcard?.reason).toMatch(/sns:Publish/);
  });

  it('fails synthesis on a finding nobody acknowledged', () => {
    const { app, stack } = build();
    new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});

describe('gateway responses', () => {
  const { stack } = buildApp({ 'aws:cdk:bundling-stacks': [] });
  const template = Template.fromStack(stack);

  it.each([
    ['INVALID_API_KEY', '401'],
    ['MISSING_AUTHENTICATION_TOKEN', '404'],
    ['THROTTLED', '429'],
    ['QUOTA_EXCEEDED', '429'],
    ['REQUEST_TOO_LARGE', '413'],
  ])('map %s to %s problem+json, like the handlers', (type, status) => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: status,
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" }),
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp(`"status":${status}`) },
    });
  });

  it('give the default 4xx and 5xx responses the problem+json content type', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" }),
      });
    }
  });
});
