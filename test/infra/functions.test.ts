/**
 * Every function of the manifest (shared/app/functions.ts), as infra/constructs/function-access.ts
 * makes it: nodejs22.x on arm64 with its own log group, told exactly the variables its ports read,
 * allowed exactly the actions on exactly the resources it uses, and no dependency cycle for the
 * functions told the stage URL.
 */
import { ArnFormat, Fn } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFICATION_FROM_ADDRESS } from '../../infra/constructs/notifications.js';
import type { PaylinkFunction } from '../../infra/paylink-function.js';
import type { PaylinkStack } from '../../infra/paylink-stack.js';
import { TABLE_KEYS } from '../../shared/adapters/dynamodb.js';
import { FUNCTION_NAMES, ROUTES, type FunctionName } from '../../shared/app/functions.js';
import { asList, build, idOf, logicalId, ofType, propsOf, synthesised, templateOf, type CfnResource, type Json, type Statement } from './support.js';

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
function expectedEnvironments(stack: PaylinkStack, context: EnvironmentContext = {}): Record<FunctionName, Json> {
  const { publicApiBaseUrl } = context;
  const ref = (c: IConstruct) => ({ Ref: idOf(c) });
  const TABLE_NAME = ref(stack.table);
  const LOG_LEVEL = 'info';
  // The route functions' base URL: only a configured one (they derive it from the request otherwise).
  const routeBaseUrl = publicApiBaseUrl ? { PUBLIC_API_BASE_URL: publicApiBaseUrl } : {};
  const urls = { URL_POLICY: 'production', ...routeBaseUrl };
  const TOKEN_KEYS_SECRET_ARN = ref(stack.tokenSigningKeys);
  const DELIVERY_QUEUE_URL = ref(stack.merchantWebhooks);
  const NOTIFICATION_QUEUE_URL = ref(stack.notifications);
  // The stage URL unless a custom domain is configured (see the dispatcher below).
  const PUBLIC_API_BASE_URL = publicApiBaseUrl ?? stageUrlWithoutSlash(stack);
  const merchantApi = { TABLE_NAME, TOKEN_KEYS_SECRET_ARN, ...urls, LOG_LEVEL };
  return {
    // Reads the client and merchant, counts failures, signs: no URL policy, no base URL.
    'oauth-token': { TABLE_NAME, TOKEN_KEYS_SECRET_ARN, LOG_LEVEL },
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
    // Changed when the stack became manifest-driven: no URL_POLICY any more, since the customer page
    // checks no merchant URL (its manifest ports have no urlPolicy); the base URL as before.
    'customer-page': { TABLE_NAME, PROVIDER_CONFIG_SECRET_ARN: ref(stack.providerConfig), ...routeBaseUrl, LOG_LEVEL },
    'shopper-return': {
      TABLE_NAME,
      PROVIDER_CONFIG_SECRET_ARN: ref(stack.providerConfig),
      REDIRECTION_KEYS_SECRET_ARN: ref(stack.redirectionSigningKeys),
      LOG_LEVEL,
    },
    'provider-webhook-receiver': {
      PROVIDER_CONFIG_SECRET_ARN: ref(stack.providerConfig),
      // Changed when the stack became manifest-driven: the variable is named after the port
      // (providerEventQueue → PROVIDER_EVENT_QUEUE_URL, shared/app/env.ts); it was WEBHOOK_QUEUE_URL.
      PROVIDER_EVENT_QUEUE_URL: ref(stack.providerWebhooks),
      LOG_LEVEL,
    },
    'provider-webhook-consumer': { TABLE_NAME, PROVIDER_CONFIG_SECRET_ARN: ref(stack.providerConfig), LOG_LEVEL },
    // The dispatcher renders link resources into webhook bodies, so it always has a base URL: the
    // configured one, else the stage URL as the API functions derive it from a request.
    'stream-dispatcher': {
      TABLE_NAME,
      DELIVERY_QUEUE_URL,
      NOTIFICATION_QUEUE_URL,
      EVENT_BUS_NAME: ref(stack.bus),
      WORKFLOW_STATE_MACHINE_ARN: ref(stack.linkWorkflow.stateMachine),
      PUBLIC_API_BASE_URL,
      LOG_LEVEL,
    },
    'redirection-key-rotator': { REDIRECTION_KEYS_SECRET_ARN: ref(stack.redirectionSigningKeys), LOG_LEVEL },
    // The URL policy is the sender's SSRF guard; the body it sends was rendered by the dispatcher.
    'merchant-webhook-sender': { TABLE_NAME, DELIVERY_QUEUE_URL, URL_POLICY: 'production', LOG_LEVEL },
    // The customer URL in each message comes from the public base URL, like the dispatcher's.
    notifier: {
      TABLE_NAME,
      NOTIFICATION_FROM_ADDRESS: context.notificationFromAddress ?? DEFAULT_NOTIFICATION_FROM_ADDRESS,
      SES_CONFIGURATION_SET: ref(stack.sesConfigurationSet),
      ...(context.smsSenderId ? { SMS_SENDER_ID: context.smsSenderId } : {}),
      PUBLIC_API_BASE_URL,
      LOG_LEVEL,
    },
    'ses-feedback-handler': { TABLE_NAME, LOG_LEVEL },
    'workflow-reminder': { TABLE_NAME, NOTIFICATION_QUEUE_URL, LOG_LEVEL },
    'workflow-expire': { TABLE_NAME, LOG_LEVEL },
  };
}

describe('functions', () => {
  it('has one nodejs22.x arm64 function per route function and per non-route function, plus the trigger provider', () => {
    const { resources, stack } = synthesised();
    const routeFns = [...new Set(ROUTES.map((r) => r.fn))];
    expect([...stack.apiFunctions.keys()].sort()).toEqual([...routeFns].sort());
    // Every manifest function, and nothing else: the routes' and these eight.
    expect([...stack.functions.keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    expect([...stack.functions.keys()].sort()).toEqual(
      [
        ...routeFns,
        'provider-webhook-consumer',
        'stream-dispatcher',
        'redirection-key-rotator',
        'merchant-webhook-sender',
        'notifier',
        'ses-feedback-handler',
        'workflow-reminder',
        'workflow-expire',
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
    for (const [name, env] of Object.entries(expected) as Array<[FunctionName, Json]>) {
      const actual = (propsOf(resources, logicalId(stack.fn(name))).Environment as { Variables: Json }).Variables;
      expect(actual, name).toEqual({ ...env, NODE_OPTIONS: '--enable-source-maps' });
    }
  });
});

describe('deployment order', () => {
  it('has no dependency cycle, though the dispatcher is told the URL of the stage', () => {
    // Template.fromStack refuses a template with a cycle ("Template is undeployable"): synthesising is the check.
    const { resources, stack } = synthesised();
    const environment = JSON.stringify(propsOf(resources, logicalId(stack.fn('stream-dispatcher'))).Environment);
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
    const expected: Record<FunctionName, string[]> = {
      // The client and merchant items, the failed-attempt counter (a conditional UpdateItem): no Put, no Delete, no index.
      'oauth-token': [...on(['dynamodb:GetItem', 'dynamodb:UpdateItem'], table), ...on(['secretsmanager:GetSecretValue'], tokenKeys)],
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
      // The secrets, and the Idempotency-Key records (claim Put, complete Update, release Delete).
      'rotate-webhook-secret': [
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], table),
        ...on(['secretsmanager:GetSecretValue'], tokenKeys),
      ],
      // Authentication's GetItems, the link read and written back with the resend counted, the request
      // queued; the Idempotency-Key records (claim Put, complete Update, release Delete).
      'resend-notification': [
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], table),
        ...on(['sqs:SendMessage'], notificationQueue),
        ...on(['secretsmanager:GetSecretValue'], tokenKeys),
      ],
      jwks: on(['secretsmanager:GetSecretValue'], redirectionKeys),
      'customer-page': [...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table), ...on(['secretsmanager:GetSecretValue'], providers)],
      // The link read and the provider's answer written back (read-your-writes on return).
      'shopper-return': [...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table), ...on(['secretsmanager:GetSecretValue'], providers, redirectionKeys)],
      'provider-webhook-receiver': [...on(['secretsmanager:GetSecretValue'], providers), ...on(['sqs:SendMessage'], stack.providerWebhooks.queueArn)],
      'provider-webhook-consumer': [
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
        ...on(['secretsmanager:GetSecretValue'], providers),
        // From the SQS event source: the poller's calls, on this queue only.
        ...on(
          ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          stack.providerWebhooks.queueArn,
        ),
      ],
      'stream-dispatcher': [
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
      'redirection-key-rotator': on(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], redirectionKeys),
      'merchant-webhook-sender': [
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
      notifier: [
        // The link (read, then written back with the send recorded), the merchant, the suppression item.
        ...on(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
        // SES v2 SendEmail: the sender identity and the configuration set named in each request.
        ...on(['ses:SendEmail'], stack.senderIdentity.emailIdentityArn, stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: stack.sesConfigurationSet.configurationSetName })),
        // SMS to phone numbers: no ARN to name (the condition is pinned in its own test).
        ...on(['sns:Publish'], '*'),
        ...on(pollQueue, notificationQueue),
      ],
      // One UpdateItem per suppressed address; nothing else in the table.
      'ses-feedback-handler': [...on(['dynamodb:UpdateItem'], table), ...on(pollQueue, stack.sesFeedback.queueArn)],
      // Reads the link and queues the reminders; it writes nothing.
      'workflow-reminder': [...on(['dynamodb:GetItem'], table), ...on(['sqs:SendMessage'], notificationQueue)],
      // Reads the link and writes it EXPIRED (conditional PutItem).
      'workflow-expire': on(['dynamodb:GetItem', 'dynamodb:PutItem'], table),
    };
    expect(Object.keys(expected).sort()).toEqual([...stack.functions.keys()].sort());
    for (const [name, grants] of Object.entries(expected) as Array<[FunctionName, string[]]>) {
      const fn = stack.fn(name);
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
