/**
 * The Paylink stack, read top to bottom as the design document (see ../shared/design/ARCHITECTURE.md
 * in the handbook): one table holds every link and is the only thing an API call or a provider
 * webhook writes; the table's stream drives every effect that follows a change; an EventBridge bus
 * carries those changes to subscribers and a queue carries signed webhooks to merchants; provider
 * webhooks are verified, queued and applied from the queue; customers get their link by email (SES)
 * and SMS (SNS) through a notifications queue, bounces and complaints come back to a suppression
 * list, and a Step Functions workflow per link sends its reminders and expires it; a REST API in
 * front, keyed per merchant, with a few public routes for shoppers and providers.
 *
 * Names shared with the code (key attributes, index names, routes, event source and detail types)
 * are imported from shared/, never retyped here, so the stack and the handlers cannot drift apart.
 */
import { Annotations, ArnFormat, CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { TABLE_KEYS, keys } from '../shared/adapters/dynamodb.js';
import type { RotationAction } from '../shared/domain/auth/key-rotation.js';
import { DETAIL_TYPES, EVENT_SOURCE } from '../shared/domain/link/events.js';
import { ATTEMPT_TIMEOUT_MS } from '../shared/domain/merchant-webhooks/delivery.js';
import type { LinkStatus } from '../shared/domain/link/status.js';
import { ROUTES } from '../shared/routes.js';
import { LinkWorkflow } from './link-workflow.js';
import { acknowledgeNag } from './nag.js';
import { PaylinkFunction } from './paylink-function.js';

export interface PaylinkStackProps extends StackProps {
  /** Entity ids of the merchants that get an API key and a usage plan (context `merchants`). */
  merchants?: readonly string[];
  /** Public base URL of the API when a custom domain fronts it (context `publicApiBaseUrl`). */
  publicApiBaseUrl?: string;
  /**
   * The From of notification emails, `address` or `Display Name <address>` (context
   * `notificationFromAddress`). Its address must be one you own: SES verifies it before it sends.
   */
  notificationFromAddress?: string;
  /**
   * A domain to verify in SES instead of the single address (context `notificationDomain`): Easy
   * DKIM, records in the outputs; the From address must be in it.
   */
  notificationDomain?: string;
  /** Alphanumeric SMS sender id, where the destination country allows one (context `smsSenderId`). */
  smsSenderId?: string;
}

/** The stage name is part of every URL handed to merchants and shoppers: keep it stable. */
export const API_STAGE = 'v1';
/** Functions behind no route (folders under functions/). */
export const DISPATCHER_FN = 'stream-dispatcher';
export const WEBHOOK_CONSUMER_FN = 'provider-webhook-consumer';
export const KEY_ROTATOR_FN = 'redirection-key-rotator';
export const WEBHOOK_SENDER_FN = 'merchant-webhook-sender';
export const NOTIFIER_FN = 'notifier';
export const SES_FEEDBACK_FN = 'ses-feedback-handler';
export const WORKFLOW_REMINDER_FN = 'workflow-reminder';
export const WORKFLOW_EXPIRE_FN = 'workflow-expire';
/**
 * Sender used when the context names none. example.com is reserved (RFC 2606): nobody can verify
 * it, so SES never sends from it. Set `notificationFromAddress` to an address (or domain) you own.
 */
export const DEFAULT_NOTIFICATION_FROM_ADDRESS = 'no-reply@example.com';
/** A provider webhook is received this many times at most before it is parked in the DLQ. */
export const WEBHOOK_MAX_RECEIVES = 5;
/** Merchant-webhook messages per sender invocation; each may take one attempt of ATTEMPT_TIMEOUT_MS. */
export const DELIVERY_BATCH_SIZE = 5;
/** A merchant-webhook message the sender failed to process this many times is parked in the DLQ. */
export const DELIVERY_MAX_RECEIVES = 5;
/** Notification requests per notifier invocation (sent one after the other). */
export const NOTIFICATION_BATCH_SIZE = 10;
/** A notification the notifier failed to send this many times is parked in the DLQ. */
export const NOTIFICATION_MAX_RECEIVES = 5;
/**
 * Notifier invocations at once: SES and SNS SMS enforce per-second sending quotas per account
 * (a new SES production account may send 14 messages a second), and a throttled send costs a
 * redelivery. Raise it with the quotas.
 */
export const NOTIFIER_MAX_CONCURRENCY = 5;
/** A bounce or complaint message the feedback handler failed to apply this many times is parked in the DLQ. */
export const SES_FEEDBACK_MAX_RECEIVES = 5;
/** The SES event types that feed the suppression lists. */
export const SES_FEEDBACK_EVENTS = [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT] as const;

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase());

/** What one function is told (environment) and allowed (statements, besides its own log group). */
interface FunctionAccess {
  environment: Record<string, string>;
  statements: iam.PolicyStatement[];
}

export class PaylinkStack extends Stack {
  readonly table: dynamodb.Table;
  readonly tokenSigningKeys: secretsmanager.Secret;
  readonly redirectionSigningKeys: secretsmanager.Secret;
  readonly providerConfig: secretsmanager.Secret;
  readonly bus: events.EventBus;
  readonly providerWebhooks: sqs.Queue;
  readonly providerWebhookDeadLetters: sqs.Queue;
  readonly streamFailures: sqs.Queue;
  readonly merchantWebhooks: sqs.Queue;
  readonly merchantWebhookDeadLetters: sqs.Queue;
  readonly notifications: sqs.Queue;
  readonly notificationDeadLetters: sqs.Queue;
  /** The From of notification emails, as the notifier is told it. */
  readonly notificationFromAddress: string;
  /** The SES identity that authorises that From: the address itself, or its domain. */
  readonly senderIdentity: ses.EmailIdentity;
  readonly sesConfigurationSet: ses.ConfigurationSet;
  readonly sesFeedbackKey: kms.Key;
  readonly sesFeedbackTopic: sns.Topic;
  readonly sesFeedback: sqs.Queue;
  readonly sesFeedbackDeadLetters: sqs.Queue;
  readonly api: apigw.RestApi;
  /** One function per distinct `fn` in ROUTES, keyed by that name. */
  readonly apiFunctions: ReadonlyMap<string, PaylinkFunction>;
  readonly dispatcher: PaylinkFunction;
  readonly webhookConsumer: PaylinkFunction;
  readonly keyRotator: PaylinkFunction;
  readonly webhookSender: PaylinkFunction;
  readonly notifier: PaylinkFunction;
  readonly sesFeedbackHandler: PaylinkFunction;
  readonly workflowReminder: PaylinkFunction;
  readonly workflowExpire: PaylinkFunction;
  readonly linkWorkflow: LinkWorkflow;
  /** Every Paylink function (routes and the others), keyed by its folder under functions/. */
  readonly functions: ReadonlyMap<string, PaylinkFunction>;

  constructor(scope: Construct, id: string, props: PaylinkStackProps = {}) {
    super(scope, id, props);

    // ── The single table ─────────────────────────────────────────────────────────────────────
    // Base table: PK/SK, one item per thing, addressed directly (never scanned):
    //   LINK#<id>          / LINK         the payment link (status, version, amounts, urls, payments…)
    //   MERCHANT#<entity>  / PROFILE      a merchant's settings
    //   CLIENT#<client id> / CLIENT       an OAuth client, secret stored hashed
    //   APIKEY#<digest>    / APIKEY       an API key's owner, key stored as a digest
    //   IDEMPOTENCY#<key>  / IDEMPOTENCY  a replayable response, deleted by TTL
    //   LINK#<id>          / DELIVERY#<event id>  a merchant webhook and its attempts, in its link's
    //                                     partition so the delivery log is one base-table Query
    //   WEBHOOK_EVENT#<event id> / EVENT  which link (and merchant) an event id belongs to (replay)
    //   MERCHANT#<entity>  / WEBHOOK_SECRETS  the merchant's webhook signing secrets
    //   MERCHANT#<entity>  / SUPPRESSED#<sha256 of the address>  an address that bounced or complained:
    //                                     no more email to it for this merchant's links
    // The three indexes are the merchant's list views, all "newest first" on the sort key:
    //   by-entity         GSI1PK/GSI1SK  every link of an entity
    //   by-entity-status  GSI2PK/GSI2SK  an entity's links in one status
    //   by-entity-order   GSI3PK/GSI3SK  an entity's links for one order reference
    // Projection ALL: a list page is served from the index alone, without a GetItem per row.
    // Writes are single-item conditional writes on `version`, so no transactions are needed.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // The stream is the outbox: every effect of a change (events, webhooks, notifications,
      // workflow) is derived from it, so both images are needed to tell what changed.
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TABLE_KEYS.ttl,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The table is the system of record for money movements: never lose it to a stack operation.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partition, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sort, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // ── Secrets ──────────────────────────────────────────────────────────────────────────────
    // The Lambdas get ARNs only and read values at cold start (shared/adapters/compose.ts), so no
    // value lands in configuration, in a template or in the repository.

    // Access-token signing keys, generated at deploy time. The shape is what parseSigningKeys
    // accepts: {kid, secret}, or a list of them while rotating.
    this.tokenSigningKeys = new secretsmanager.Secret(this, 'TokenSigningKeys', {
      description: 'Paylink access-token signing keys: {"kid","secret"} or a list of them (first signs, all verify)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ kid: 'k1' }),
        generateStringKey: 'secret',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });
    acknowledgeNag(
      this.tokenSigningKeys,
      'SMG4',
      'No rotation schedule yet: rotating means prepending a new {kid, secret} and keeping the old key until ' +
        'issued tokens expire (parseSigningKeys accepts a list), which needs a custom rotation Lambda; until ' +
        'then keys are rotated by hand by putting such a list (docs/runbook.md).',
    );

    // Redirection signing keys: private P-256 JWKs, newest first (the first signs
    // purse-redirection-data tokens, all are published at GET /payment/v2/jwks). Secrets Manager
    // cannot generate EC keys, so the secret starts as an empty list and the key rotator below
    // writes the real keys.
    //
    // unsafePlainText is safe here: `[]` (and `{"providers":[]}` below) is a placeholder, not a
    // secret, and the template stays free of key material. CloudFormation writes SecretString only
    // when the template's value changes, so the keys the rotator (or the operator, for providers)
    // puts later survive every deployment. Never edit these placeholders on a deployed stack: that
    // one deployment would overwrite the live value.
    this.redirectionSigningKeys = new secretsmanager.Secret(this, 'RedirectionSigningKeys', {
      description: 'Paylink redirection-token signing keys: a list of private P-256 JWKs, newest first (written by the key rotator)',
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify([])),
    });
    acknowledgeNag(
      this.redirectionSigningKeys,
      'SMG4',
      'Rotated by the redirection-key-rotator Lambda on a 90-day EventBridge schedule (and ensured at deployment by a ' +
        'trigger), not by the Secrets Manager rotation protocol: a new JWK is prepended and the previous one kept so ' +
        'that tokens it signed still verify, which the four-step rotation protocol does not model.',
    );

    // Payment providers: {"providers":[{"name","base_url","api_key","webhook_secret"}]}, the first
    // one opening new client sessions (providersFromConfig). Filled in by the operator
    // (docs/runbook.md); until then no provider is configured and the customer URL cannot open one.
    this.providerConfig = new secretsmanager.Secret(this, 'ProviderConfig', {
      description: 'Paylink payment providers: {"providers":[{"name","base_url","api_key","webhook_secret"}]} (put by the operator)',
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ providers: [] })),
    });
    acknowledgeNag(
      this.providerConfig,
      'SMG4',
      'Holds credentials issued by the payment providers (API key, webhook signing secret): they are rotated at ' +
        'the provider and then put here by the operator (docs/runbook.md); Secrets Manager cannot rotate them.',
    );

    // ── Event bus ────────────────────────────────────────────────────────────────────────────
    // Internal subscribers listen here instead of polling the API. A custom bus (not `default`) so
    // that PutEvents can be granted on this bus alone and subscribers' rules do not mix with others.
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: this.stackName.toLowerCase() });
    // The archive makes a subscriber's bug recoverable: replay the last 90 days into a fixed rule.
    this.bus.archive('Archive', {
      description: 'Every Paylink event, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(90),
    });
    this.addPaidLinksExampleRule();

    // ── Inbound provider webhooks ────────────────────────────────────────────────────────────
    // The receiver only verifies the signature and queues: the provider gets its 202 fast and a
    // slow or failing table write never makes it retry (or give up). The consumer applies them
    // from here, record by record, idempotent on the provider's event id.
    const consumerTimeout = Duration.seconds(30);
    // Messages still failing after WEBHOOK_MAX_RECEIVES receives are parked here for an operator
    // (alarm below). 14 days, the SQS maximum: a standard queue's DLQ keeps the original enqueue
    // time, so it must hold messages longer than the source queue does.
    this.providerWebhookDeadLetters = new sqs.Queue(this, 'ProviderWebhookDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // (cdk-nag's SQS3 recognises a redrive target as a DLQ: nothing to acknowledge here.)
    this.providerWebhooks = new sqs.Queue(this, 'ProviderWebhooks', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // AWS's rule for Lambda event sources: at least six times the function timeout, so a batch
      // still being processed (or retried by the poller) is not handed to a second consumer.
      visibilityTimeout: Duration.seconds(consumerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.providerWebhookDeadLetters, maxReceiveCount: WEBHOOK_MAX_RECEIVES },
    });

    // ── Outbound merchant webhooks ───────────────────────────────────────────────────────────
    // The dispatcher records each delivery in the table and queues it here; the sender makes one
    // attempt per message and records it on the delivery. Endpoint failures are not SQS retries: the
    // sender deletes the message it consumed and enqueues the next attempt itself, with DelaySeconds
    // from the delivery's schedule (5 s … 10 h, honouring Retry-After; waits beyond SQS's 15-minute
    // maximum are chained in hops). A merchant endpoint that answers 500 or times out therefore never
    // moves a message towards the DLQ.
    //
    // One attempt may take ATTEMPT_TIMEOUT_MS and a batch is worked through one message at a time,
    // so the sender's timeout covers a whole batch of timed-out attempts, plus a margin for the
    // table reads and writes and the re-enqueues.
    const senderTimeout = Duration.seconds((DELIVERY_BATCH_SIZE * ATTEMPT_TIMEOUT_MS) / 1000 + 15);
    // The redrive only counts messages the sender itself failed to process (a table or queue error,
    // an unreadable message): after DELIVERY_MAX_RECEIVES such receives the message is parked here
    // for an operator (alarm below). 14 days, like the other DLQs.
    this.merchantWebhookDeadLetters = new sqs.Queue(this, 'MerchantWebhookDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.merchantWebhooks = new sqs.Queue(this, 'MerchantWebhooks', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Each message lives at most one hop (≤ 15 minutes of delay) before the sender consumes it.
      retentionPeriod: Duration.days(4),
      // Six times the sender's timeout, as for the provider webhooks. A message the sender reports
      // as failed becomes visible again after this (9 minutes), so a transient table error delays a
      // delivery by minutes rather than retrying in a tight loop.
      visibilityTimeout: Duration.seconds(senderTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.merchantWebhookDeadLetters, maxReceiveCount: DELIVERY_MAX_RECEIVES },
    });

    // ── Customer notifications ───────────────────────────────────────────────────────────────
    // Initial sends (the dispatcher, when a link is created), reminders (the workflow) and resends
    // (the API) are requests on this queue; the notifier sends each through SES or SNS and records
    // it on the link. The queue keeps SES and SNS off the API's and the stream's path, and gives a
    // send that fails (throttling, an outage) its retries: a request carries a deterministic id that
    // the notifier records in the same conditional write as the outcome, so a retry or a redelivered
    // request never sends twice what was recorded as sent.
    const notifierTimeout = Duration.seconds(30);
    // Requests still failing after NOTIFICATION_MAX_RECEIVES receives (three minutes apart, see the
    // visibility timeout) wait here for an operator (alarm below); 14 days, like the other DLQs.
    this.notificationDeadLetters = new sqs.Queue(this, 'NotificationDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.notifications = new sqs.Queue(this, 'Notifications', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // Six times the notifier's timeout, as for the other consumers: a failed send comes back
      // three minutes later, not in a tight loop against a throttling SES.
      visibilityTimeout: Duration.seconds(notifierTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.notificationDeadLetters, maxReceiveCount: NOTIFICATION_MAX_RECEIVES },
    });

    // ── Email: the SES sender, and bounces and complaints coming back ───────────────────────
    // The notifier sends from one verified identity, always through the configuration set below
    // (also made the identity's default, so no send escapes it), whose event destination publishes
    // bounces and complaints to an SNS topic. The topic feeds a queue, and the feedback handler
    // puts the addresses on the merchant's suppression list, read before every later send.
    this.notificationFromAddress = props.notificationFromAddress ?? DEFAULT_NOTIFICATION_FROM_ADDRESS;
    const fromAddress = senderAddress(this.notificationFromAddress);
    if (props.notificationDomain && !fromAddress.toLowerCase().endsWith(`@${props.notificationDomain.toLowerCase()}`)) {
      throw new Error(`notificationFromAddress ${fromAddress} is not in notificationDomain ${props.notificationDomain}`);
    }
    if (!props.notificationFromAddress) {
      Annotations.of(this).addWarningV2(
        'paylink:default-notification-sender',
        `Notification emails would be sent from ${DEFAULT_NOTIFICATION_FROM_ADDRESS}, which nobody can verify: set the context notificationFromAddress (docs/runbook.md).`,
      );
    }
    // Named after the stack (as the bus is), so a second stack in the account gets its own.
    this.sesConfigurationSet = new ses.ConfigurationSet(this, 'SesConfigurationSet', {
      configurationSetName: this.stackName.toLowerCase(),
      reputationMetrics: true,
      sendingEnabled: true,
    });
    // Creating the identity makes SES send a verification link to the address (or expect the
    // domain's DKIM records, see the outputs); nothing is sent before it is verified.
    this.senderIdentity = new ses.EmailIdentity(this, props.notificationDomain ? 'SenderDomainIdentity' : 'SenderIdentity', {
      identity: props.notificationDomain ? ses.Identity.domain(props.notificationDomain) : ses.Identity.email(fromAddress),
      configurationSet: this.sesConfigurationSet,
    });
    // IAM authorises a send against the identity SES resolves the From to; with a domain identity
    // that may be the domain or, where the address itself is verified too, the address. Both ARNs
    // name this sender only.
    const senderIdentityArns = props.notificationDomain
      ? [this.senderIdentity.emailIdentityArn, this.formatArn({ service: 'ses', resource: 'identity', resourceName: fromAddress })]
      : [this.senderIdentity.emailIdentityArn];
    const configurationSetArn = this.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.sesConfigurationSet.configurationSetName });

    // SNS topics encrypted with the AWS managed key cannot take messages from SES (its policy
    // cannot name SES), hence a key of our own. It only protects messages in transit through the
    // topic (the queue behind it has its own encryption), so nothing is lost when it is deleted.
    // The topic's name is fixed so the key policy can name the topic without a dependency cycle.
    const feedbackTopicName = `${this.stackName.toLowerCase()}-ses-feedback`;
    this.sesFeedbackKey = new kms.Key(this, 'SesFeedbackKey', {
      description: 'Paylink: encrypts SES bounce and complaint events in their SNS topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.sesFeedbackKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SesPublishesFeedbackToItsTopic',
        principals: [new iam.ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:SourceAccount': this.account,
            'kms:EncryptionContext:aws:sns:topicArn': this.formatArn({ service: 'sns', resource: feedbackTopicName, arnFormat: ArnFormat.NO_RESOURCE_NAME }),
          },
        },
      }),
    );
    this.sesFeedbackTopic = new sns.Topic(this, 'SesFeedbackTopic', {
      topicName: feedbackTopicName,
      displayName: 'Paylink SES bounces and complaints',
      masterKey: this.sesFeedbackKey,
      enforceSSL: true,
    });
    // Adds the topic policy statement that lets SES publish, for this account and configuration set only.
    this.sesConfigurationSet.addEventDestination('BouncesAndComplaints', {
      destination: ses.EventDestination.snsTopic(this.sesFeedbackTopic),
      events: [...SES_FEEDBACK_EVENTS],
    });

    const feedbackTimeout = Duration.seconds(30);
    this.sesFeedbackDeadLetters = new sqs.Queue(this, 'SesFeedbackDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.sesFeedback = new sqs.Queue(this, 'SesFeedback', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(feedbackTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.sesFeedbackDeadLetters, maxReceiveCount: SES_FEEDBACK_MAX_RECEIVES },
    });
    // Raw delivery off: each message is the SNS envelope, whose Message is SES's event JSON; the
    // handler reads that envelope (parseSesFeedback). The subscription adds the queue policy
    // statement that lets this topic, and only it, send.
    this.sesFeedbackTopic.addSubscription(new SqsSubscription(this.sesFeedback, { rawMessageDelivery: false }));

    // ── Lambdas: each one told and allowed exactly what its ports use ────────────────────────
    // compose.ts builds a port only when its variable is set, so a function that is not given a
    // name or an ARN neither knows the resource nor may touch it, and fails loudly if it starts to.
    // The URL policy checks merchant-supplied URLs (in the sender: where a webhook may be sent).
    const urlPolicy = { URL_POLICY: 'production' };
    const told = {
      table: { TABLE_NAME: this.table.tableName },
      tokenKeys: { TOKEN_KEYS_SECRET_ARN: this.tokenSigningKeys.secretArn },
      redirectionKeys: { REDIRECTION_KEYS_SECRET_ARN: this.redirectionSigningKeys.secretArn },
      providers: { PROVIDER_CONFIG_SECRET_ARN: this.providerConfig.secretArn },
      webhookQueue: { WEBHOOK_QUEUE_URL: this.providerWebhooks.queueUrl },
      deliveryQueue: { DELIVERY_QUEUE_URL: this.merchantWebhooks.queueUrl },
      notificationQueue: { NOTIFICATION_QUEUE_URL: this.notifications.queueUrl },
      bus: { EVENT_BUS_NAME: this.bus.eventBusName },
      // What the notifier sends from: the From, the configuration set that reports bounces, the SMS sender id.
      sender: {
        NOTIFICATION_FROM_ADDRESS: this.notificationFromAddress,
        SES_CONFIGURATION_SET: this.sesConfigurationSet.configurationSetName,
        ...(props.smsSenderId ? { SMS_SENDER_ID: props.smsSenderId } : {}),
      },
      urlPolicy,
      // The base URL builds links handed out; without it the API functions take it from the request.
      urls: { ...urlPolicy, ...(props.publicApiBaseUrl ? { PUBLIC_API_BASE_URL: props.publicApiBaseUrl } : {}) },
      logs: { LOG_LEVEL: 'info' },
    };

    // Exactly the operations the adapters issue, written out rather than grantReadWriteData or
    // grantRead, which would add batch, transaction, scan and describe actions the code never uses.
    const allow = (sid: string, actions: string[], resources: string[]) => new iam.PolicyStatement({ sid, actions, resources });
    const may = {
      // The merchant API: links, merchants, clients and keys (Get/Put), idempotency records
      // (Get/Put/Update/Delete), and the three list indexes.
      useItems: allow('TableItems', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [this.table.tableArn]),
      queryIndexes: allow(
        'TableIndexQueries',
        ['dynamodb:Query'],
        [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder].map((index) => `${this.table.tableArn}/index/${index.name}`),
      ),
      // Payment flows: read a link (and its merchant), write it back under the version condition.
      readWriteLinks: allow('TableLinkItems', ['dynamodb:GetItem', 'dynamodb:PutItem'], [this.table.tableArn]),
      readLinks: allow('TableLinkReads', ['dynamodb:GetItem'], [this.table.tableArn]),
      // Merchant webhooks: deliveries and their event pointers, the merchant (default webhook URL)
      // and its signing secrets. Every write is a (conditional) PutItem; there is no UpdateItem.
      readWriteDeliveries: allow('TableWebhookDeliveries', ['dynamodb:GetItem', 'dynamodb:PutItem'], [this.table.tableArn]),
      // The sender besides: marks an endpoint that answered 410 Gone (MERCHANT#<entity> / ENDPOINT#…)
      // and deletes the mark when a replay there succeeds.
      sendWebhooks: allow('TableWebhookSending', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], [this.table.tableArn]),
      // The delivery log is a Query of the link's partition in the base table. A grant on the table
      // ARN does not reach its indexes (…/index/<name>), which the log never reads.
      readDeliveryLog: allow('TableDeliveryLog', ['dynamodb:GetItem', 'dynamodb:Query'], [this.table.tableArn]),
      readItems: allow('TableItemReads', ['dynamodb:GetItem'], [this.table.tableArn]),
      keepWebhookSecrets: allow('TableWebhookSecrets', ['dynamodb:GetItem', 'dynamodb:PutItem'], [this.table.tableArn]),
      readTokenKeys: allow('ReadTokenSigningKeys', ['secretsmanager:GetSecretValue'], [this.tokenSigningKeys.secretArn]),
      readRedirectionKeys: allow('ReadRedirectionSigningKeys', ['secretsmanager:GetSecretValue'], [this.redirectionSigningKeys.secretArn]),
      keepRedirectionKeys: allow(
        'KeepRedirectionSigningKeys',
        ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        [this.redirectionSigningKeys.secretArn],
      ),
      readProviderConfig: allow('ReadProviderConfig', ['secretsmanager:GetSecretValue'], [this.providerConfig.secretArn]),
      // Notifications: the link read and written back with the send recorded on it, the merchant
      // (display name) and the address's suppression item read.
      notifyCustomers: allow('TableNotifications', ['dynamodb:GetItem', 'dynamodb:PutItem'], [this.table.tableArn]),
      // Bounces and complaints: each suppression is one idempotent UpdateItem (if_not_exists keeps
      // the first date), never a read.
      suppressAddresses: allow('TableSuppressionList', ['dynamodb:UpdateItem'], [this.table.tableArn]),
      // SES v2 SendEmail is authorised against the sender identity and the configuration set named in
      // the request; SendRawEmail and templates are never used.
      sendEmail: allow('SendNotificationEmail', ['ses:SendEmail'], [...senderIdentityArns, configurationSetArn]),
      // SMS go to phone numbers, which have no ARN: Publish to a number can only be granted on `*`.
      // The region condition keeps it to this region's SMS settings and spend limit.
      sendSms: new iam.PolicyStatement({
        sid: 'SendNotificationSms',
        actions: ['sns:Publish'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': this.region } },
      }),
      // SQS-managed encryption: no KMS key to grant.
      queueWebhooks: allow('QueueProviderWebhooks', ['sqs:SendMessage'], [this.providerWebhooks.queueArn]),
      queueDeliveries: allow('QueueMerchantWebhooks', ['sqs:SendMessage'], [this.merchantWebhooks.queueArn]),
      queueNotifications: allow('QueueNotifications', ['sqs:SendMessage'], [this.notifications.queueArn]),
    };

    const merchantApi: FunctionAccess = {
      environment: { ...told.table, ...told.tokenKeys, ...told.urls, ...told.logs },
      statements: [may.useItems, may.queryIndexes, may.readTokenKeys],
    };
    const routeAccess: Record<string, FunctionAccess> = {
      'oauth-token': merchantApi,
      'create-payment-link': merchantApi,
      'get-payment-link': merchantApi,
      'list-payment-links': merchantApi,
      'cancel-payment-link': merchantApi,
      // Merchant webhook administration. Authentication reads the API key, client and merchant items
      // (GetItem) and verifies the token; none of the three checks a URL or renders a link.
      // The delivery log: the link (ownership), then its deliveries.
      'list-webhook-deliveries': {
        environment: { ...told.table, ...told.tokenKeys, ...told.logs },
        statements: [may.readDeliveryLog, may.readTokenKeys],
      },
      // Replay: finds the delivery from its event pointer and queues it for the sender, now.
      'retry-webhook-delivery': {
        environment: { ...told.table, ...told.tokenKeys, ...told.deliveryQueue, ...told.logs },
        statements: [may.readItems, may.queueDeliveries, may.readTokenKeys],
      },
      // A new signing secret; the previous one keeps signing for the grace period.
      'rotate-webhook-secret': {
        environment: { ...told.table, ...told.tokenKeys, ...told.logs },
        statements: [may.keepWebhookSecrets, may.readTokenKeys],
      },
      // Send the link again: the resend is counted on the link (GetItem/PutItem, the conditional
      // write that enforces the hourly limit) and queued for the notifier. It sends nothing itself.
      'resend-notification': {
        environment: { ...told.table, ...told.tokenKeys, ...told.notificationQueue, ...told.logs },
        statements: [may.readWriteLinks, may.queueNotifications, may.readTokenKeys],
      },
      // Public keys only: it reads the private JWKs to derive them and never sees the table.
      jwks: { environment: { ...told.redirectionKeys, ...told.logs }, statements: [may.readRedirectionKeys] },
      // The customer URL: marks the link OPENED and opens a client session at its provider.
      'customer-page': {
        environment: { ...told.table, ...told.providers, ...told.urls, ...told.logs },
        statements: [may.readWriteLinks, may.readProviderConfig],
      },
      // Back from the provider's page: reads the link and the payment, signs the outcome.
      'shopper-return': {
        environment: { ...told.table, ...told.providers, ...told.redirectionKeys, ...told.logs },
        statements: [may.readLinks, may.readProviderConfig, may.readRedirectionKeys],
      },
      // Verifies with the provider's webhook secret and queues; it never touches the table.
      'provider-webhook-receiver': {
        environment: { ...told.providers, ...told.webhookQueue, ...told.logs },
        statements: [may.readProviderConfig, may.queueWebhooks],
      },
    };
    const routeFns = new Set(ROUTES.map((route) => route.fn));
    for (const fn of Object.keys(routeAccess)) {
      if (!routeFns.has(fn)) throw new Error(`routeAccess lists ${fn}, which no route in shared/routes.ts uses`);
    }

    const functions = new Map<string, PaylinkFunction>();
    const addFunction = (fn: string, access: FunctionAccess, options: { timeout?: Duration } = {}) => {
      const created = new PaylinkFunction(this, pascal(fn), { fn, environment: access.environment, ...options });
      for (const statement of access.statements) created.role.addToPolicy(statement);
      functions.set(fn, created);
      return created;
    };

    const apiFunctions = new Map<string, PaylinkFunction>();
    for (const route of ROUTES) {
      if (apiFunctions.has(route.fn)) continue;
      const access = routeAccess[route.fn];
      // A new route is a decision about what its function may do: no default set of permissions.
      if (!access) throw new Error(`no environment and permissions for ${route.fn} (route ${route.method} ${route.path}) in routeAccess`);
      const fn = addFunction(route.fn, access);
      acknowledgeTracingWildcard(fn, 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.');
      apiFunctions.set(route.fn, fn);
    }
    this.apiFunctions = apiFunctions;

    // ── REST API ─────────────────────────────────────────────────────────────────────────────
    this.api = this.createApi(apiFunctions);
    this.addMerchantUsagePlans(props.merchants ?? []);

    // ── Provider webhook consumer ────────────────────────────────────────────────────────────
    // Applies queued webhooks to links (conditional writes) and voids or refunds late payments at
    // the provider, hence the provider configuration. Queue access comes from the event source.
    this.webhookConsumer = addFunction(
      WEBHOOK_CONSUMER_FN,
      { environment: { ...told.table, ...told.providers, ...told.logs }, statements: [may.readWriteLinks, may.readProviderConfig] },
      { timeout: consumerTimeout },
    );
    this.webhookConsumer.fn.addEventSource(
      new SqsEventSource(this.providerWebhooks, {
        batchSize: 10,
        // A shopper waits on the outcome: batch what arrives together, but never hold it long.
        maxBatchingWindow: Duration.seconds(1),
        // The handler reports the records that failed; the others are deleted, not retried.
        reportBatchItemFailures: true,
      }),
    );
    acknowledgeTracingWildcard(this.webhookConsumer, 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.');

    // ── Per-link workflow: reminders, then expiry ───────────────────────────────────────────
    // One Standard execution per link, named after it (infra/link-workflow.ts, docs/workflow.md):
    // it waits for each reminder time and runs the reminder task, then waits for expires_at and runs
    // the expiry task. The tasks are ordinary functions; the state machine may invoke these two only.
    // The reminder reads the link and queues a REMINDER per channel (it sends nothing itself).
    this.workflowReminder = addFunction(WORKFLOW_REMINDER_FN, {
      environment: { ...told.table, ...told.notificationQueue, ...told.logs },
      statements: [may.readLinks, may.queueNotifications],
    });
    acknowledgeTracingWildcard(this.workflowReminder, 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.');
    // The expiry reads the link and writes it EXPIRED under the version condition; the stream does the rest.
    this.workflowExpire = addFunction(WORKFLOW_EXPIRE_FN, { environment: { ...told.table, ...told.logs }, statements: [may.readWriteLinks] });
    acknowledgeTracingWildcard(this.workflowExpire, 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.');
    this.linkWorkflow = new LinkWorkflow(this, 'LinkWorkflow', { reminderFn: this.workflowReminder.fn, expireFn: this.workflowExpire.fn });

    // ── Stream dispatcher ────────────────────────────────────────────────────────────────────
    // The one place a committed change becomes effects: events on the bus, merchant webhooks (the
    // merchant's default URL read, a delivery and its event pointer written, a message queued for the
    // sender), and for a new link its initial notifications (queued for the notifier) and its
    // workflow (started, named after the link; stopped when the link is paid or cancelled). It reads
    // no secret. A webhook body carries the link resource as GET returns it, so the
    // dispatcher is told the API's public base URL: the custom domain when one is configured, else the
    // stage URL without its trailing slash, which is what the API functions derive from a request.
    // The API's own functions could not be told the stage URL (their methods are part of the
    // deployment the stage points to: a cycle); the dispatcher is behind no route, so it can.
    const apiBaseUrl =
      props.publicApiBaseUrl ??
      `https://${this.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${this.api.deploymentStage.stageName}`;
    this.dispatcher = addFunction(
      DISPATCHER_FN,
      {
        environment: {
          ...told.table,
          ...told.deliveryQueue,
          ...told.notificationQueue,
          ...told.bus,
          WORKFLOW_STATE_MACHINE_ARN: this.linkWorkflow.stateMachine.stateMachineArn,
          PUBLIC_API_BASE_URL: apiBaseUrl,
          ...told.logs,
        },
        statements: [may.readWriteDeliveries, may.queueDeliveries, may.queueNotifications],
      },
      { timeout: Duration.seconds(30) },
    );
    this.bus.grantPutEventsTo(this.dispatcher.fn);
    this.linkWorkflow.grantStartStop(this.dispatcher.role);

    // A batch that still fails after the retries is recorded here instead of blocking the shard
    // forever. Stream destinations receive the shard id and sequence-number range, not the items: an
    // operator finds the links from there (or in the table) and re-drives them after a fix.
    this.streamFailures = new sqs.Queue(this, 'StreamFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(
      this.streamFailures,
      'SQS3',
      'This queue is itself the dead-letter destination of the stream event source; a queue behind it would add nothing.',
    );

    const linkItem = keys.link('any');
    this.dispatcher.fn.addEventSource(
      new DynamoEventSource(this.table, {
        // From the oldest record the stream still holds: a new or redeployed mapping misses nothing.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // The handler stops at the first failing record and reports it, so the rest of the shard
        // keeps its order; bisecting isolates a poison record, and bounded retries park it in the queue.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.streamFailures),
        // Only link items mean anything to subscribers; idempotency records, merchants and keys
        // never invoke the function (and are never billed as invocations). Nor do the deliveries,
        // event pointers and secrets that the dispatcher and the sender write: the dispatcher's own
        // writes can never come back to it as work.
        filters: [
          lambda.FilterCriteria.filter({
            dynamodb: { Keys: { [TABLE_KEYS.sort]: { S: lambda.FilterRule.isEqual(linkItem.SK) } } },
          }),
        ],
      }),
    );
    acknowledgeTracingWildcard(
      this.dispatcher,
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and dynamodb:ListStreams (added by the ' +
        'DynamoDB event source) support no resource-level permissions; stream reads themselves are on this table\'s stream ARN.',
    );

    // ── Redirection key rotation ─────────────────────────────────────────────────────────────
    this.keyRotator = addFunction(
      KEY_ROTATOR_FN,
      { environment: { ...told.redirectionKeys, ...told.logs }, statements: [may.keepRedirectionKeys] },
      { timeout: Duration.seconds(30) },
    );
    acknowledgeTracingWildcard(this.keyRotator, 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.');
    this.addKeyRotation();

    // ── Merchant webhook sender ──────────────────────────────────────────────────────────────
    // One attempt per due message, recorded on the delivery (GetItem/PutItem), signed with the
    // merchant's secrets (read, or created on a merchant's first webhook), skipped while the endpoint
    // is marked gone (410; the mark is deleted by a successful replay, hence DeleteItem), and the
    // next attempt queued by the sender itself (SendMessage; receive and delete come with the event
    // source).
    //
    // No VPC: it calls merchants' HTTPS endpoints on the internet. The SSRF guard is in the code and
    // a VPC would not replace it: with URL_POLICY=production only https URLs are called, and only
    // when every address the host resolves to is public, checked at send time after DNS resolution
    // (so a DNS change cannot point a vetted URL at 169.254.169.254 or a private range). In a VPC the
    // function would need a NAT gateway per AZ to reach the internet at all, and still the same check.
    this.webhookSender = addFunction(
      WEBHOOK_SENDER_FN,
      {
        environment: { ...told.table, ...told.deliveryQueue, ...told.urlPolicy, ...told.logs },
        statements: [may.sendWebhooks, may.queueDeliveries],
      },
      { timeout: senderTimeout },
    );
    this.webhookSender.fn.addEventSource(
      new SqsEventSource(this.merchantWebhooks, {
        batchSize: DELIVERY_BATCH_SIZE,
        // Record by record: a message that fails comes back alone, the others are deleted.
        reportBatchItemFailures: true,
      }),
    );
    acknowledgeTracingWildcard(this.webhookSender, 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.');

    // ── Notifier ─────────────────────────────────────────────────────────────────────────────
    // One request at a time: the link read, skipped if already sent (the id on the link) or no
    // longer wanted, the address checked against the merchant's suppression list, the email (SES,
    // from the verified identity, through the configuration set) or SMS (SNS) sent, and the outcome
    // written on the link. The customer URL in the message is built from the public base URL.
    this.notifier = addFunction(
      NOTIFIER_FN,
      {
        environment: { ...told.table, ...told.sender, PUBLIC_API_BASE_URL: apiBaseUrl, ...told.logs },
        statements: [may.notifyCustomers, may.sendEmail, may.sendSms],
      },
      { timeout: notifierTimeout },
    );
    this.notifier.fn.addEventSource(
      new SqsEventSource(this.notifications, {
        batchSize: NOTIFICATION_BATCH_SIZE,
        // Record by record: a send that fails comes back alone, the others are deleted.
        reportBatchItemFailures: true,
        maxConcurrency: NOTIFIER_MAX_CONCURRENCY,
      }),
    );
    acknowledgeTracingWildcard(
      this.notifier,
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions, and sns:Publish ' +
        'to a phone number (SMS) has no resource ARN to name: it is granted on * with aws:RequestedRegion pinned to this ' +
        'region. The notifier publishes to no topic; SNS offers no condition key that would restrict Publish to SMS only.',
    );

    // ── SES feedback handler ─────────────────────────────────────────────────────────────────
    // A permanent bounce or a complaint puts each address on the merchant's suppression list
    // (the merchant comes from the email's tags); transient bounces change nothing.
    this.sesFeedbackHandler = addFunction(
      SES_FEEDBACK_FN,
      { environment: { ...told.table, ...told.logs }, statements: [may.suppressAddresses] },
      { timeout: feedbackTimeout },
    );
    this.sesFeedbackHandler.fn.addEventSource(new SqsEventSource(this.sesFeedback, { batchSize: 10, reportBatchItemFailures: true }));
    acknowledgeTracingWildcard(this.sesFeedbackHandler, 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions.');
    this.functions = functions;

    // ── Alarms ───────────────────────────────────────────────────────────────────────────────
    // A message in any of these queues is work that failed every retry and now waits for a person.
    this.alarmOnMessages(
      'ProviderWebhookDeadLettersAlarm',
      this.providerWebhookDeadLetters,
      `Provider webhooks failed ${WEBHOOK_MAX_RECEIVES} receives and are parked in the DLQ: a payment outcome is not applied to its link.`,
    );
    this.alarmOnMessages(
      'StreamFailuresAlarm',
      this.streamFailures,
      'Table stream batches failed every retry: their events, merchant webhooks or notifications were not sent.',
    );
    this.alarmOnMessages(
      'MerchantWebhookDeadLettersAlarm',
      this.merchantWebhookDeadLetters,
      `Merchant webhook messages the sender failed to process ${DELIVERY_MAX_RECEIVES} times are parked in the DLQ: ` +
        'those deliveries get no further attempt until replayed or redriven (endpoint failures never land here).',
    );
    this.alarmOnMessages(
      'NotificationDeadLettersAlarm',
      this.notificationDeadLetters,
      `Notification requests the notifier failed to send ${NOTIFICATION_MAX_RECEIVES} times are parked in the DLQ: ` +
        'those customers got no email or SMS for them (SES or SNS refused or throttled, or the link could not be read or written).',
    );
    this.alarmOnMessages(
      'SesFeedbackDeadLettersAlarm',
      this.sesFeedbackDeadLetters,
      `SES bounce or complaint messages failed ${SES_FEEDBACK_MAX_RECEIVES} times and are parked in the DLQ: ` +
        'their addresses are not on the suppression list, so later sends to them still go out.',
    );
    // The workflow's own alarm (ExecutionsFailed) is part of LinkWorkflow.

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Paylink API (stage v1)' });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'EventBridge bus with Paylink events' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The Paylink table (merchant registration)' });
    new CfnOutput(this, 'ProviderConfigSecretArn', { value: this.providerConfig.secretArn, description: 'Put the payment providers here' });
    new CfnOutput(this, 'RedirectionKeyRotatorName', { value: this.keyRotator.fn.functionName, description: 'Invoke with {"action":"rotate"} to rotate now' });
    new CfnOutput(this, 'NotificationSenderIdentity', {
      value: this.senderIdentity.emailIdentityName,
      description: 'SES identity to verify before any email goes out (docs/runbook.md)',
    });
    new CfnOutput(this, 'SesConfigurationSetName', { value: this.sesConfigurationSet.configurationSetName, description: 'Sends through it report bounces and complaints' });
    new CfnOutput(this, 'LinkWorkflowStateMachineArn', { value: this.linkWorkflow.stateMachine.stateMachineArn, description: 'One execution per link, named after the link id' });
    if (props.notificationDomain) {
      // Easy DKIM: publish these three CNAME records in the domain's DNS; SES verifies the domain once they resolve.
      const identity = this.senderIdentity;
      for (const [n, name, value] of [
        [1, identity.dkimDnsTokenName1, identity.dkimDnsTokenValue1],
        [2, identity.dkimDnsTokenName2, identity.dkimDnsTokenValue2],
        [3, identity.dkimDnsTokenName3, identity.dkimDnsTokenValue3],
      ] as const) {
        new CfnOutput(this, `SenderDkimRecord${n}`, { value: `${name} CNAME ${value}`, description: `DKIM record ${n} of ${props.notificationDomain}` });
      }
    }
  }

  /**
   * The redirection keys are kept by the rotator Lambda: a deployment trigger creates the first key
   * (the secret starts empty), a 90-day schedule rotates. Rotating prepends a key and keeps the
   * previous one, so tokens already handed to shoppers still verify against the JWKS.
   */
  private addKeyRotation(): void {
    // A Trigger invokes its handler with no payload (the custom resource sends none): the rotator
    // reads a missing action as `ensure`, which creates a key only when there is none. It runs on
    // creation and whenever the rotator's configuration changes (a new secret ARN among them); it
    // cannot run at every deployment without making the template change at every synth.
    new triggers.Trigger(this, 'EnsureRedirectionKey', {
      handler: this.keyRotator.fn,
      executeAfter: [this.redirectionSigningKeys, this.keyRotator.role],
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: Duration.minutes(2),
    });

    const rotate: RotationAction = 'rotate';
    new events.Rule(this, 'RotateRedirectionKeys', {
      description: 'Rotates the Paylink redirection signing key (new key signs, previous one still verifies)',
      schedule: events.Schedule.rate(Duration.days(90)),
      targets: [new targets.LambdaFunction(this.keyRotator.fn, { event: events.RuleTargetInput.fromObject({ action: rotate }) })],
    });
  }

  /** Alarm as soon as a queue of failed work holds a message (no action: wire it to your on-call topic). */
  private alarmOnMessages(id: string, queue: sqs.Queue, description: string): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // An idle queue publishes no data points: that is the healthy state, not an unknown one.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }


  /**
   * A rule to copy: PAID links, written to a log group, so an operator can watch payments arrive and
   * a subscriber sees the exact pattern to use. The log group's resource policy is a native
   * AWS::Logs::ResourcePolicy limited to this log group and this rule (the events-targets
   * CloudWatchLogGroup target would instead deploy a custom-resource Lambda allowed on `*`).
   */
  private addPaidLinksExampleRule(): void {
    const paid: LinkStatus = 'PAID';
    const paidLinks = new logs.LogGroup(this, 'PaidLinksLog', {
      // EventBridge log-group targets must live under /aws/events/.
      logGroupName: `/aws/events/${this.stackName.toLowerCase()}/paid-links`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const rule = new events.Rule(this, 'PaidLinksExample', {
      eventBus: this.bus,
      description: 'Example subscriber: payment links that became PAID',
      eventPattern: { source: [EVENT_SOURCE], detailType: [DETAIL_TYPES.linkStatusChanged], detail: { status: [paid] } },
    });
    const logGroupTargetArn = this.formatArn({
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

  private createApi(functions: ReadonlyMap<string, PaylinkFunction>): apigw.RestApi {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: `${this.stackName.toLowerCase()}-api`,
      description: 'Paylink payment-links API (x-api-key + Bearer access token)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Keys come from the x-api-key header and select the merchant's usage plan.
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // API Gateway logs to CloudWatch through one account-wide role; without it stage logging fails
      // to deploy in a fresh account. Retained, because other APIs in the account may rely on it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_STAGE,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request bodies carry customer emails and phone numbers: never copy them into logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        // Stage-wide ceiling; each merchant's usage plan sets its own, lower one.
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
      },
    });

    // Lambda proxy integrations: the handler's status, headers and body go to the caller as they are,
    // so the shopper pages' text/html, a 303 Location and the JWKS cache header need nothing here.
    // No binaryMediaTypes: bodies stay text, so the webhook receiver verifies the bytes it was sent.
    for (const route of ROUTES) {
      const fn = functions.get(route.fn);
      if (!fn) throw new Error(`no function for route ${route.method} ${route.path}`);
      api.root.resourceForPath(route.path).addMethod(route.method, new apigw.LambdaIntegration(fn.fn, { allowTestInvoke: false }), {
        apiKeyRequired: route.apiKeyRequired,
      });
    }

    this.addGatewayResponses(api);

    acknowledgeNag(
      api,
      'APIG2',
      'Requests are validated in the Lambda with the zod schemas that also generate the OpenAPI document ' +
        '(one schema per shape, 4xx naming the field); an API Gateway validator without models would check nothing.',
    );
    acknowledgeNag(
      api,
      'APIG3',
      'No WAF web ACL in the base stack (a per-account cost and policy decision); throttling is enforced by ' +
        'the stage and per-merchant usage plans. Attach a regional web ACL to the v1 stage where required.',
    );
    acknowledgeNag(
      api,
      'APIG4',
      'Merchant routes take a per-merchant API key (required by API Gateway) plus a Bearer access token (HS256 JWT ' +
        'from POST /oauth/token) verified in the Lambda; POST /oauth/token takes client credentials. The public routes ' +
        'are public by design: the JWKS holds public keys, the shopper pages are reached by an unguessable link id ' +
        'from the customer URL, and provider webhooks are authenticated by the provider signature over the body.',
    );
    acknowledgeNag(
      api,
      'COG4',
      'Merchants are machine clients using OAuth client credentials issued by Paylink, not Cognito user-pool ' +
        'users; the token is verified in the Lambda, and the API key is required by API Gateway. Shoppers and ' +
        'payment providers have no accounts: their routes are authorised by the link id and by the provider signature.',
    );
    const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      acknowledgeNag(
        cloudWatchRole,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'The account-level API Gateway logging role uses the AWS managed policy documented for it; API Gateway ' +
          'writes to log groups it names itself, which a customer policy cannot enumerate in advance.',
      );
    }
    return api;
  }

  /**
   * Requests API Gateway rejects itself never reach a handler; these make them follow the same
   * contract (problem+json, 401 for a missing or unknown API key rather than API Gateway's 403,
   * 404 for an unknown route rather than "Missing Authentication Token", 429 when throttled).
   */
  private addGatewayResponses(api: apigw.RestApi): void {
    const problem = (status: number, title: string, detail: string) => ({
      'application/json': JSON.stringify({ type: 'about:blank', title, status, detail }),
    });
    const headers = { 'Content-Type': "'application/problem+json'", 'Cache-Control': "'no-store'" };
    const responses: Array<[string, apigw.ResponseType, number, string, string]> = [
      ['ApiKeyInvalid', apigw.ResponseType.INVALID_API_KEY, 401, 'Unauthorized', 'the x-api-key header is missing or not valid'],
      ['UnknownRoute', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 404, 'Not found', 'no such route'],
      ['Throttled', apigw.ResponseType.THROTTLED, 429, 'Too many requests', 'slow down and retry later'],
      ['QuotaExceeded', apigw.ResponseType.QUOTA_EXCEEDED, 429, 'Too many requests', 'the usage plan quota is used up'],
      ['TooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, 413, 'Payload too large', 'the request body is too large'],
    ];
    for (const [id, type, status, title, detail] of responses) {
      api.addGatewayResponse(id, {
        type,
        statusCode: String(status),
        responseHeaders: { ...headers, ...(status === 401 ? { 'WWW-Authenticate': "'Bearer realm=\"paylink\"'" } : {}) },
        templates: problem(status, title, detail),
      });
    }
    for (const [id, type, title] of [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX, 'Bad request'],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX, 'Internal Server Error'],
    ] as const) {
      api.addGatewayResponse(id, {
        type,
        responseHeaders: headers,
        // The status varies within these types; messageString is API Gateway's JSON-quoted message.
        templates: { 'application/json': `{"type":"about:blank","title":"${title}","detail":$context.error.messageString}` },
      });
    }
  }

  /**
   * One API key and usage plan per merchant, so a merchant that misbehaves is throttled (and can be
   * cut off) without touching the others. The key value is generated by API Gateway; register its
   * digest for the merchant in the table too, because the handlers check the key as well.
   */
  private addMerchantUsagePlans(merchants: readonly string[]): void {
    for (const entityId of merchants) {
      const key = this.api.addApiKey(`ApiKey-${entityId}`, {
        apiKeyName: `${this.stackName.toLowerCase()}-${entityId}`,
        description: `Paylink API key of merchant ${entityId}`,
      });
      const plan = this.api.addUsagePlan(`UsagePlan-${entityId}`, {
        name: `${this.stackName.toLowerCase()}-${entityId}`,
        description: `Paylink usage plan of merchant ${entityId}`,
        throttle: { rateLimit: 20, burstLimit: 40 },
        quota: { limit: 100_000, period: apigw.Period.MONTH },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      plan.addApiKey(key);
    }
  }
}

/** The address of a From header value: `a@b.example` or `Display Name <a@b.example>`. */
export function senderAddress(from: string): string {
  const match = /^(?:[^<>]*<([^<>\s]+)>|([^<>\s]+))$/.exec(from.trim());
  const address = match?.[1] ?? match?.[2];
  if (!address || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) throw new Error(`not an email address or "Name <address>": ${JSON.stringify(from)}`);
  return address;
}

/** Active tracing (and, for the dispatcher, ListStreams) put `Resource: *` in the role's policy. */
function acknowledgeTracingWildcard(fn: PaylinkFunction, reason: string): void {
  acknowledgeNag(fn.role, 'IAM5[Resource::*]', reason);
}
