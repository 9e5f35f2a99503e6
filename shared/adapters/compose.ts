/**
 * The composition module: builds every port from endpoints and configuration. AWS (liveDeps), the
 * sandbox and the integration tests all come through here, so they differ only in what they pass.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PublicUrls } from '../domain/link/model.js';
import type { Clock, EventBus } from '../domain/ports.js';
import type { ProviderEventQueue } from '../domain/ports.js';
import type { UrlPolicy } from '../domain/url-policy.js';
import type { ProviderRegistry } from '../providers/payment-provider.js';
import { systemClock, type AppDeps } from '../deps.js';
import type { ApiEvent } from '../http/api.js';
import { createLogger, type LogLevel, type Logger } from '../logger.js';
import { JoseAccessTokens, parseSigningKeys, type SigningKey } from './access-tokens.js';
import type { KeyRing } from '../domain/ports.js';
import { SandboxProvider } from '../providers/sandbox-provider.js';
import { StaticProviderRegistry } from '../providers/registry.js';
import { lazySecret, readSecret, writeSecret } from './secrets.js';
import { SqsQueue } from './sqs-queue.js';
import { makeDocumentClient } from './dynamodb.js';
import { JoseRedirectionSigner, parseRedirectionKeys, rotateKeys, type PrivateSigningJwk } from './redirection-keys.js';
import { EventBridgeBus } from './event-bus.js';
import { DynamoIdempotencyStore } from './idempotency-store.js';
import { DynamoDeliveryStore, DynamoEndpointHealth, DynamoMerchantSecretStore } from './delivery-store.js';
import { NodeWebhookHttp } from './webhook-http.js';
import type { DeliveryQueue } from '../domain/ports.js';
import type { NotificationQueue } from '../domain/ports.js';
import type { WorkflowEngine } from '../domain/ports.js';
import { SesMailer } from './ses-mailer.js';
import { SnsSmsSender } from './sns-sms.js';
import { DynamoSuppressionList } from './suppression-list.js';
import { messageRenderer } from '../domain/notifications/messages.js';
import { DynamoLinkStore } from './link-store.js';
import { DynamoMerchantDirectory } from './merchant-directory.js';

export interface ComposeOptions {
  db: DynamoDBDocumentClient;
  tableName: string;
  bus: EventBus;
  providers: ProviderRegistry;
  providerEventQueue: ProviderEventQueue;
  deliveryQueue: DeliveryQueue;
  notificationQueue: NotificationQueue;
  workflow: WorkflowEngine;
  redirectionKeys: () => Promise<PrivateSigningJwk[]>;
  signingKeys: () => Promise<SigningKey[]>;
  urlPolicy: UrlPolicy;
  urls: (event?: ApiEvent) => PublicUrls;
  clock?: Clock;
  logger?: Logger;
}

export function composeDeps(o: ComposeOptions): AppDeps & { merchants: DynamoMerchantDirectory; webhookSecrets: DynamoMerchantSecretStore } {
  const clock = o.clock ?? systemClock;
  return {
    links: new DynamoLinkStore(o.db, o.tableName),
    merchants: new DynamoMerchantDirectory(o.db, o.tableName),
    idempotency: new DynamoIdempotencyStore(o.db, o.tableName, clock),
    tokens: new JoseAccessTokens(o.signingKeys, clock),
    bus: o.bus,
    providers: o.providers,
    providerEventQueue: o.providerEventQueue,
    deliveries: new DynamoDeliveryStore(o.db, o.tableName),
    deliveryQueue: o.deliveryQueue,
    webhookSecrets: new DynamoMerchantSecretStore(o.db, o.tableName),
    endpoints: new DynamoEndpointHealth(o.db, o.tableName),
    notificationQueue: o.notificationQueue,
    workflow: o.workflow,
    redirection: new JoseRedirectionSigner(o.redirectionKeys, clock),
    clock,
    ids: { newId: () => randomUUID() },
    urlPolicy: o.urlPolicy,
    urls: o.urls,
    logger: o.logger ?? createLogger(),
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Base URLs from the request when no custom domain is configured: https://{domain}/{stage}. */
export function urlsFromRequest(event: ApiEvent | undefined, configured: { api?: string; pay?: string }): PublicUrls {
  const fromRequest = event?.requestContext?.domainName
    ? `https://${event.requestContext.domainName}${event.requestContext.stage && !configured.api ? `/${event.requestContext.stage}` : ''}`
    : undefined;
  const api = configured.api ?? fromRequest;
  if (!api) throw new Error('no public API base URL: set PUBLIC_API_BASE_URL');
  return { apiBaseUrl: api, payBaseUrl: configured.pay ?? api };
}

export function liveLogger(): Logger {
  return createLogger({ level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info', bindings: { service: 'paylink' } });
}

function liveEventBus(): EventBus {
  return new EventBridgeBus(new EventBridgeClient({}), requiredEnv('EVENT_BUS_NAME'));
}

/** The stream dispatcher: the bus, the deliveries and merchants in the table, the delivery queue. */
export async function liveDispatcherDeps(): Promise<
  Pick<AppDeps, 'bus' | 'logger' | 'merchants' | 'urls' | 'deliveries' | 'deliveryQueue' | 'notificationQueue' | 'workflow'>
> {
  return liveDeps();
}

/** The redirection keys in Secrets Manager (an empty secret reads as no keys). */
export function liveRedirectionKeyRing(): KeyRing<PrivateSigningJwk> {
  const client = new SecretsManagerClient({});
  const secretId = requiredEnv('REDIRECTION_KEYS_SECRET_ARN');
  return {
    read: async () => {
      const value = (await readSecret(client, secretId)).trim();
      return value === '' || value === '[]' || value === '{}' ? [] : parseRedirectionKeys(value);
    },
    write: (keys) => writeSecret(client, secretId, JSON.stringify(keys)),
    rotate: rotateKeys,
  };
}

/**
 * Payment providers from their configuration secret: {"providers":[{"name":"sandbox","base_url",
 * "api_key","webhook_secret"}]} (the first one opens new client sessions).
 */
export function providersFromConfig(json: string): ProviderRegistry {
  const config = JSON.parse(json) as { providers?: Array<Record<string, string>> };
  const providers = (config.providers ?? []).map((p) => {
    if (p.name === 'sandbox' && p.base_url && p.api_key && p.webhook_secret) {
      return new SandboxProvider({ baseUrl: p.base_url, apiKey: p.api_key, webhookSecret: p.webhook_secret });
    }
    throw new Error(`payment provider configuration for ${p.name ?? '(unnamed)'} is not usable`);
  });
  return new StaticProviderRegistry(providers);
}

/** A queue for functions that must never send (they were not given one). */
const noQueue: ProviderEventQueue = {
  enqueue: () => Promise.reject(new Error('WEBHOOK_QUEUE_URL is not set for this function')),
};

let cached: Promise<AppDeps> | undefined;

/**
 * Ports for AWS, from the Lambda environment, built once per cold start (top-level await in each
 * index.ts). Each secret is read only by functions whose environment names it, and lazily except
 * the provider configuration, which webhook verification needs synchronously.
 */
export function liveDeps(): Promise<AppDeps> {
  return (cached ??= buildLiveDeps());
}

async function buildLiveDeps(): Promise<AppDeps> {
  const secrets = new SecretsManagerClient({});
  const optional = (name: string) => process.env[name] || undefined;
  const tokenKeysArn = optional('TOKEN_KEYS_SECRET_ARN');
  const redirectionArn = optional('REDIRECTION_KEYS_SECRET_ARN');
  const providerArn = optional('PROVIDER_CONFIG_SECRET_ARN');
  const queueUrl = optional('WEBHOOK_QUEUE_URL');
  const deliveryQueueUrl = optional('DELIVERY_QUEUE_URL');
  const notificationQueueUrl = optional('NOTIFICATION_QUEUE_URL');
  const stateMachineArn = optional('WORKFLOW_STATE_MACHINE_ARN');
  const missing = (name: string) => () => Promise.reject(new Error(`${name} is not set for this function`));
  const configured = {
    ...(process.env.PUBLIC_API_BASE_URL ? { api: process.env.PUBLIC_API_BASE_URL } : {}),
    ...(process.env.PAY_BASE_URL ? { pay: process.env.PAY_BASE_URL } : {}),
  };
  return composeDeps({
    db: makeDocumentClient(),
    // Functions that do not use the table or the bus are not told their names (and have no access).
    tableName: optional('TABLE_NAME') ?? '',
    bus: optional('EVENT_BUS_NAME') ? liveEventBus() : { publish: () => Promise.reject(new Error('EVENT_BUS_NAME is not set for this function')) },
    signingKeys: tokenKeysArn ? lazySecret(secrets, tokenKeysArn, parseSigningKeys) : missing('TOKEN_KEYS_SECRET_ARN'),
    redirectionKeys: redirectionArn ? lazySecret(secrets, redirectionArn, parseRedirectionKeys) : missing('REDIRECTION_KEYS_SECRET_ARN'),
    providers: providerArn ? providersFromConfig(await readSecret(secrets, providerArn)) : new StaticProviderRegistry([]),
    providerEventQueue: queueUrl ? new SqsQueue(new SQSClient({}), queueUrl) : noQueue,
    deliveryQueue: deliveryQueueUrl
      ? new SqsQueue(new SQSClient({}), deliveryQueueUrl)
      : { enqueue: () => Promise.reject(new Error('DELIVERY_QUEUE_URL is not set for this function')) },
    notificationQueue: notificationQueueUrl
      ? new SqsQueue(new SQSClient({}), notificationQueueUrl)
      : { enqueue: () => Promise.reject(new Error('NOTIFICATION_QUEUE_URL is not set for this function')) },
    workflow: stateMachineArn
      ? await liveWorkflowEngine(stateMachineArn)
      : {
          start: () => Promise.reject(new Error('WORKFLOW_STATE_MACHINE_ARN is not set for this function')),
          stop: () => Promise.reject(new Error('WORKFLOW_STATE_MACHINE_ARN is not set for this function')),
        },
    urlPolicy: process.env.URL_POLICY === 'sandbox' ? 'sandbox' : 'production',
    urls: (event) => urlsFromRequest(event, configured),
    logger: liveLogger(),
  });
}

/** The merchant-webhook sender: deliveries and secrets in the table, the delivery queue, HTTPS out. */
export async function liveSenderDeps(): Promise<{
  deliveries: AppDeps['deliveries'];
  queue: AppDeps['deliveryQueue'];
  http: NodeWebhookHttp;
  secrets: AppDeps['webhookSecrets'];
  endpoints: AppDeps['endpoints'];
  clock: AppDeps['clock'];
  logger: AppDeps['logger'];
}> {
  const deps = await liveDeps();
  return {
    deliveries: deps.deliveries,
    queue: deps.deliveryQueue,
    http: new NodeWebhookHttp({ urlPolicy: deps.urlPolicy }),
    secrets: deps.webhookSecrets,
    endpoints: deps.endpoints,
    clock: deps.clock,
    logger: deps.logger,
  };
}

/** Step Functions for the per-link workflow (loaded only by functions that start or stop it). */
async function liveWorkflowEngine(stateMachineArn: string): Promise<WorkflowEngine> {
  const [{ SFNClient }, { SfnWorkflowEngine }] = await Promise.all([import('@aws-sdk/client-sfn'), import('./step-functions.js')]);
  return new SfnWorkflowEngine(new SFNClient({}), stateMachineArn);
}

/** Bounce and complaint feedback from SES: the merchant suppression lists in the table. */
export async function liveFeedbackDeps() {
  const deps = await liveDeps();
  return { suppressions: new DynamoSuppressionList(makeDocumentClient(), requiredEnv('TABLE_NAME')), clock: deps.clock, logger: deps.logger };
}

/** The workflow's two tasks: links in the table, the notifications queue for reminders. */
export async function liveWorkflowTaskDeps() {
  const deps = await liveDeps();
  return { store: deps.links, queue: deps.notificationQueue, clock: deps.clock, logger: deps.logger };
}

/**
 * The notifier: SES v2 (from NOTIFICATION_FROM_ADDRESS, with the configuration set that publishes
 * bounces and complaints), SNS for SMS, the suppression lists, and the public URLs for the links.
 */
export async function liveNotifierDeps() {
  const deps = await liveDeps();
  const [{ SESv2Client }, { SNSClient }] = await Promise.all([import('@aws-sdk/client-sesv2'), import('@aws-sdk/client-sns')]);
  const configurationSet = process.env.SES_CONFIGURATION_SET || undefined;
  const senderId = process.env.SMS_SENDER_ID || undefined;
  return {
    store: deps.links,
    clock: deps.clock,
    merchants: deps.merchants,
    mailer: new SesMailer(new SESv2Client({}), {
      fromEmailAddress: requiredEnv('NOTIFICATION_FROM_ADDRESS'),
      ...(configurationSet ? { configurationSetName: configurationSet } : {}),
    }),
    sms: new SnsSmsSender(new SNSClient({}), senderId ? { senderId } : {}),
    suppressions: new DynamoSuppressionList(makeDocumentClient(), requiredEnv('TABLE_NAME')),
    renderer: messageRenderer,
    urls: () => deps.urls(),
    logger: deps.logger,
  };
}
