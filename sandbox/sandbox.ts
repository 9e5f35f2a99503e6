/**
 * The embedded local sandbox: every function in one Node process, on real local stand-ins.
 * dynalite (on disk or in memory) behind a proxy that emulates the table's stream, the same
 * handlers that run on Lambda behind an HTTP server that speaks API Gateway's proxy events.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand, type AttributeValue, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { linkFromItem } from '../shared/adapters/link-store.js';
import { workflowInput } from '../shared/domain/workflow/workflow.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import dynalite from 'dynalite';
import { makeHandler as cancelPaymentLink } from '../functions/cancel-payment-link/handler.js';
import { makeHandler as createPaymentLink } from '../functions/create-payment-link/handler.js';
import { makeHandler as getPaymentLink } from '../functions/get-payment-link/handler.js';
import { makeHandler as listPaymentLinks } from '../functions/list-payment-links/handler.js';
import { makeHandler as oauthToken } from '../functions/oauth-token/handler.js';
import { makeHandler as streamDispatcher } from '../functions/stream-dispatcher/handler.js';
import { makeHandler as merchantWebhookSender } from '../functions/merchant-webhook-sender/handler.js';
import { makeHandler as notifier } from '../functions/notifier/handler.js';
import { makeHandler as sesFeedback } from '../functions/ses-feedback-handler/handler.js';
import { makeHandler as workflowExpire } from '../functions/workflow-expire/handler.js';
import { makeHandler as workflowReminder } from '../functions/workflow-reminder/handler.js';
import { makeHandler as resendNotification } from '../functions/resend-notification/handler.js';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { SesMailer } from '../shared/adapters/ses-mailer.js';
import { DynamoSuppressionList } from '../shared/adapters/suppression-list.js';
import { messageRenderer } from '../shared/domain/notifications/messages.js';
import type { Mailer } from '../shared/domain/ports.js';
import { BounceSimulatingMailer } from './bounce-simulator.js';
import { DEFAULT_SES_PORT, startSes, type SandboxSes } from './ses.js';
import { SandboxSmsOutbox } from './sms-outbox.js';
import { LocalWorkflowEngine, type WorkflowTaskHandler } from './workflow-runner.js';
import { NodeWebhookHttp } from '../shared/adapters/webhook-http.js';
import { makeHandler as customerPage } from '../functions/customer-page/handler.js';
import { makeHandler as jwks } from '../functions/jwks/handler.js';
import { makeHandler as listWebhookDeliveries } from '../functions/list-webhook-deliveries/handler.js';
import { makeHandler as retryWebhookDelivery } from '../functions/retry-webhook-delivery/handler.js';
import { makeHandler as rotateWebhookSecret } from '../functions/rotate-webhook-secret/handler.js';
import { makeHandler as webhookConsumer } from '../functions/provider-webhook-consumer/handler.js';
import { makeHandler as webhookReceiver } from '../functions/provider-webhook-receiver/handler.js';
import { makeHandler as shopperReturn } from '../functions/shopper-return/handler.js';
import { generateRedirectionKey, parseRedirectionKeys, type PrivateSigningJwk } from '../shared/adapters/redirection-keys.js';
import { SqsQueue } from '../shared/adapters/sqs-queue.js';
import { newMerchantWebhookSecret } from '../shared/adapters/delivery-store.js';
import { StaticProviderRegistry } from '../shared/providers/registry.js';
import { SandboxProvider } from '../shared/providers/sandbox-provider.js';
import { createSandboxPsp, type SandboxPsp } from './psp/sandbox-psp.js';
import { newWebhookSecret } from './psp/webhooks.js';
import { startSqs, type SandboxSqs } from './sqs.js';
import { SqsPoller } from './sqs-poller.js';
import { parseSigningKeys, type SigningKey } from '../shared/adapters/access-tokens.js';
import { composeDeps } from '../shared/adapters/compose.js';
import type { Clock } from '../shared/domain/ports.js';
import { ROUTES, matchPath } from '../shared/routes.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type { AppDeps } from '../shared/deps.js';
import { BodyTooLargeForGateway, readRequestBody, toProxyEvent, writeResult } from './api-gateway.js';
import { DEMO_MERCHANTS } from './demo-merchants.js';
import { SandboxEventBus } from './event-bus.js';
import { lambdaContext } from './lambda-context.js';
import { StreamDelivery } from './stream-delivery.js';
import { startStreamProxy } from './stream-proxy.js';
import { ensureTable } from './table.js';
import { closeServer } from './close-server.js';

type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const HANDLERS: Record<string, (deps: AppDeps) => ApiHandler> = {
  jwks,
  'list-webhook-deliveries': listWebhookDeliveries,
  'retry-webhook-delivery': retryWebhookDelivery,
  'rotate-webhook-secret': rotateWebhookSecret,
  'resend-notification': resendNotification,
  'customer-page': customerPage,
  'shopper-return': shopperReturn,
  'provider-webhook-receiver': webhookReceiver,
  'oauth-token': oauthToken,
  'create-payment-link': createPaymentLink,
  'get-payment-link': getPaymentLink,
  'list-payment-links': listPaymentLinks,
  'cancel-payment-link': cancelPaymentLink,
};

export interface SandboxOptions {
  /** HTTP port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Where dynalite keeps its data; undefined keeps everything in memory. */
  dataDir?: string;
  /** Wipe dataDir first. */
  reset?: boolean;
  clock?: Clock;
  logger?: Logger;
  tableName?: string;
  /** SANDBOX_PENDING_MS: how long PENDING / UNCERTAIN attempts take to resolve. */
  pendingMs?: number;
  pspWebhookSecret?: string;
  /** false: the PSP records its webhooks without sending them (tests send them by hand). */
  pspDeliverWebhooks?: boolean;
  sqsVisibilityTimeoutSeconds?: number;
  /** The demo merchants' default webhook endpoint (PAYLINK_SANDBOX_WEBHOOK_URL). */
  merchantWebhookUrl?: string;
  /** The demo merchants' whsec_ signing secret (PAYLINK_SANDBOX_WEBHOOK_SECRET), else generated. */
  merchantWebhookSecret?: string;
  /** Seconds between webhook attempts (PAYLINK_WEBHOOK_RETRY_SCHEDULE, e.g. "1,1,2"); production's by default. */
  webhookRetrySchedule?: readonly number[];
  webhookAttemptTimeoutMs?: number;
  /** SES_PORT: the aws-ses-v2-local inbox (default 8005); tests pass 0. */
  sesPort?: number;
}

export interface Sandbox {
  url: string;
  port: number;
  tableName: string;
  /** A document client on the sandbox's table (through the stream emulation). */
  db: DynamoDBDocumentClient;
  deps: AppDeps;
  bus: SandboxEventBus;
  stream: StreamDelivery;
  psp: SandboxPsp;
  sqs: SandboxSqs;
  poller: SqsPoller;
  /** The merchant-webhook sender's event source. */
  senderPoller: SqsPoller;
  notifierPoller: SqsPoller;
  feedbackPoller: SqsPoller;
  ses: SandboxSes;
  sms: SandboxSmsOutbox;
  /** The notifier's mailer (SES v2 → aws-ses-v2-local, with the mailbox simulator's bounces). */
  mailer: Mailer;
  workflow: LocalWorkflowEngine;
  suppressions: DynamoSuppressionList;
  /** The whsec_ secret the sandbox PSP signs its webhooks with. */
  webhookSecret: string;
  /** The whsec_ secret Paylink signs the demo merchants' webhooks with. */
  merchantWebhookSecret: string;
  settle(): Promise<void>;
  stop(): Promise<void>;
}

const STAGE = 'v1';
const SANDBOX_FROM = 'Paylink Sandbox <links@paylink.sandbox>';
const REGION = 'eu-west-1';

function loadOrCreateSigningKeys(dataDir: string | undefined): SigningKey[] {
  const fresh = () => JSON.stringify([{ kid: `sandbox-${randomBytes(4).toString('hex')}`, secret: randomBytes(48).toString('base64url') }]);
  if (!dataDir) return parseSigningKeys(fresh());
  const file = join(dataDir, 'token-keys.json');
  if (!existsSync(file)) writeFileSync(file, fresh(), { mode: 0o600 });
  return parseSigningKeys(readFileSync(file, 'utf8'));
}

async function loadOrCreateRedirectionKeys(dataDir: string | undefined): Promise<PrivateSigningJwk[]> {
  if (!dataDir) return [await generateRedirectionKey()];
  const file = join(dataDir, 'redirection-keys.json');
  if (!existsSync(file)) writeFileSync(file, JSON.stringify([await generateRedirectionKey()]), { mode: 0o600 });
  return parseRedirectionKeys(readFileSync(file, 'utf8'));
}

/**
 * Executions live in memory, so after a restart on kept data the open links' workflows are started
 * again (on AWS, Step Functions keeps them). Reminders already due are skipped, expiry is kept.
 */
async function resumeWorkflows(client: DynamoDBClient, tableName: string, deps: AppDeps, logger: Logger): Promise<void> {
  let resumed = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page: ScanCommandOutput = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'SK = :link AND #status IN (:c, :o, :p)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':link': { S: 'LINK' }, ':c': { S: 'CREATED' }, ':o': { S: 'OPENED' }, ':p': { S: 'PAYMENT_IN_PROGRESS' } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const link = linkFromItem(unmarshall(item));
      const merchant = await deps.merchants.getMerchant(link.entity_id);
      await deps.workflow.start(workflowInput(link, merchant?.reminder_policy, deps.clock.now()));
      resumed += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  if (resumed > 0) logger.info('workflows resumed', { count: resumed });
}

function parseSchedule(value: string | undefined): number[] | undefined {
  if (!value) return undefined;
  const steps = value.split(',').map((v) => Number(v.trim()));
  if (steps.length === 0 || steps.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new Error('PAYLINK_WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, e.g. 1,1,2');
  }
  return steps;
}

function problem(status: number, title: string, detail: string): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title, status, detail }),
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const tableName = options.tableName ?? 'paylink-sandbox';
  // Configuration is checked before anything starts, so a mistake leaves nothing running.
  const merchantWebhookSecret = options.merchantWebhookSecret ?? process.env.PAYLINK_SANDBOX_WEBHOOK_SECRET ?? newMerchantWebhookSecret();
  if (!/^whsec_[A-Za-z0-9+/]{24,}={0,2}$/.test(merchantWebhookSecret)) {
    throw new Error('PAYLINK_SANDBOX_WEBHOOK_SECRET must be a whsec_ value: "whsec_" followed by base64 of at least 18 random bytes');
  }
  if (options.dataDir) {
    if (options.reset) rmSync(options.dataDir, { recursive: true, force: true });
    mkdirSync(options.dataDir, { recursive: true });
  }

  // DynamoDB: dynalite, and the stream-emulating proxy in front of it.
  const dynamo = dynalite({
    ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  const credentials = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };
  const direct = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamoPort}`, region: REGION, credentials });
  await ensureTable(direct, tableName);

  const bus = new SandboxEventBus();
  // The dispatcher needs the ports built below; records written before then (seeding) wait for it.
  let resolveDispatcher!: (handler: ReturnType<typeof streamDispatcher>) => void;
  const dispatcher = new Promise<ReturnType<typeof streamDispatcher>>((resolve) => (resolveDispatcher = resolve));
  const stream = new StreamDelivery(async (event, context) => (await dispatcher)(event, context), logger);
  const proxy = await startStreamProxy({
    target: { host: '127.0.0.1', port: dynamoPort },
    direct,
    tableName,
    region: REGION,
    emit: (record) => stream.push(record),
  });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: proxy.endpoint, region: REGION, credentials }), {
    marshallOptions: { removeUndefinedValues: true },
  });

  const signingKeys = loadOrCreateSigningKeys(options.dataDir);
  const redirectionKeys = await loadOrCreateRedirectionKeys(options.dataDir);
  let baseUrl = '';

  // The built-in payment provider: a fake PSP mounted under /sandbox-psp on the same server, and
  // Paylink's adapter that talks to it over HTTP and verifies its signed webhooks.
  const pspApiKey = randomBytes(24).toString('base64url');
  const webhookSecret = options.pspWebhookSecret ?? newWebhookSecret();
  const psp = createSandboxPsp({
    baseUrl: () => baseUrl,
    webhookUrl: () => `${baseUrl}/webhooks/sandbox`,
    webhookSecret,
    apiKey: pspApiKey,
    pendingMs: options.pendingMs ?? Number(process.env.SANDBOX_PENDING_MS ?? 3000),
    logger,
    ...(options.pspDeliverWebhooks === false ? { deliverWebhooks: false } : {}),
  });
  const providers = new StaticProviderRegistry([
    new SandboxProvider({ baseUrl: () => `${baseUrl}/sandbox-psp`, apiKey: pspApiKey, webhookSecret }),
  ]);

  // Inbound provider webhooks: receiver → SQS (local-aws-sqs, DLQ after 5 receives) → consumer.
  const sqs = await startSqs({ region: REGION });
  // Merchant webhooks: dispatcher → delivery queue (DLQ after 5 receives) → sender.
  const deliveryQueue = await sqs.createQueueWithDlq('paylink-merchant-webhooks', { maxReceiveCount: 5 });
  // Links to customers: dispatcher / workflow / resend → notifications queue → notifier → SES / SNS;
  // SES bounces and complaints → feedback queue → suppression lists.
  const notificationQueue = await sqs.createQueueWithDlq('paylink-notifications', { maxReceiveCount: 5 });
  const feedbackQueue = await sqs.createQueueWithDlq('paylink-ses-feedback', { maxReceiveCount: 5 });
  const ses = await startSes({ port: options.sesPort ?? Number(process.env.SES_PORT ?? DEFAULT_SES_PORT) });
  const sms = new SandboxSmsOutbox();
  const mailer = new BounceSimulatingMailer({
    mailer: new SesMailer(ses.client, { fromEmailAddress: SANDBOX_FROM, configurationSetName: 'paylink-sandbox' }),
    fromEmailAddress: SANDBOX_FROM,
    logger,
    deliver: async (body) => {
      await sqs.client.send(new SendMessageCommand({ QueueUrl: feedbackQueue.queueUrl, MessageBody: body }));
    },
  });
  // The per-link workflow: the same state machine definition CDK deploys, run by aws-local-stepfunctions.
  // Its tasks need the ports built below, so they are bound once those exist.
  const workflowTasks: { reminder?: WorkflowTaskHandler; expire?: WorkflowTaskHandler } = {};
  const workflow = new LocalWorkflowEngine({
    reminder: (event, context) => workflowTasks.reminder!(event, context),
    expire: (event, context) => workflowTasks.expire!(event, context),
    logger,
  });

  const deps = composeDeps({
    db,
    tableName,
    bus,
    providers,
    providerEventQueue: new SqsQueue(sqs.client, sqs.queueUrl),
    deliveryQueue: new SqsQueue(sqs.client, deliveryQueue.queueUrl),
    notificationQueue: new SqsQueue(sqs.client, notificationQueue.queueUrl),
    workflow,
    redirectionKeys: async () => redirectionKeys,
    signingKeys: async () => signingKeys,
    urlPolicy: 'sandbox',
    urls: () => ({ apiBaseUrl: baseUrl, payBaseUrl: process.env.PAY_BASE_URL ?? baseUrl }),
    ...(options.clock ? { clock: options.clock } : {}),
    logger,
  });
  const webhookUrl = options.merchantWebhookUrl ?? process.env.PAYLINK_SANDBOX_WEBHOOK_URL;
  for (const demo of DEMO_MERCHANTS) {
    await deps.merchants.register({
      ...demo,
      merchant: { ...demo.merchant, ...(webhookUrl ? { default_webhook_url: webhookUrl } : {}) },
    });
    await deps.webhookSecrets.set(demo.merchant.entity_id, merchantWebhookSecret, deps.clock.now());
  }
  resolveDispatcher(streamDispatcher(deps));

  workflowTasks.reminder = workflowReminder({ store: deps.links, queue: deps.notificationQueue, logger });
  workflowTasks.expire = workflowExpire({ store: deps.links, clock: deps.clock, logger });
  const suppressions = new DynamoSuppressionList(db, tableName);
  const notifierPoller = new SqsPoller({
    client: sqs.client,
    queueUrl: notificationQueue.queueUrl,
    handler: notifier({
      store: deps.links,
      clock: deps.clock,
      merchants: deps.merchants,
      mailer,
      sms,
      suppressions,
      renderer: messageRenderer,
      urls: () => deps.urls(),
      logger,
    }),
    functionName: 'notifier',
    waitTimeSeconds: 0.2,
    visibilityTimeoutSeconds: options.sqsVisibilityTimeoutSeconds ?? 2,
    logger,
  });
  const feedbackPoller = new SqsPoller({
    client: sqs.client,
    queueUrl: feedbackQueue.queueUrl,
    handler: sesFeedback({ suppressions, clock: deps.clock, logger }),
    functionName: 'ses-feedback-handler',
    waitTimeSeconds: 0.2,
    visibilityTimeoutSeconds: options.sqsVisibilityTimeoutSeconds ?? 2,
    logger,
  });

  const schedule = options.webhookRetrySchedule ?? parseSchedule(process.env.PAYLINK_WEBHOOK_RETRY_SCHEDULE);
  const senderPoller = new SqsPoller({
    client: sqs.client,
    queueUrl: deliveryQueue.queueUrl,
    handler: merchantWebhookSender({
      deliveries: deps.deliveries,
      queue: deps.deliveryQueue,
      http: new NodeWebhookHttp({ urlPolicy: 'sandbox' }),
      secrets: deps.webhookSecrets,
      endpoints: deps.endpoints,
      clock: deps.clock,
      logger,
      ...(schedule ? { schedule } : {}),
      ...(options.webhookAttemptTimeoutMs ? { attemptTimeoutMs: options.webhookAttemptTimeoutMs } : {}),
    }),
    functionName: 'merchant-webhook-sender',
    batchSize: 5,
    waitTimeSeconds: 0.2,
    // Longer than a batch of attempts can take (each is bounded by its timeout).
    visibilityTimeoutSeconds: Math.max(options.sqsVisibilityTimeoutSeconds ?? 2, ((options.webhookAttemptTimeoutMs ?? 15_000) * 5) / 1000 + 5),
    logger,
  });

  const poller = new SqsPoller({
    client: sqs.client,
    queueUrl: sqs.queueUrl,
    handler: webhookConsumer(deps),
    functionName: 'provider-webhook-consumer',
    // local-aws-sqs holds a long poll for its whole wait time, so keep it short for latency.
    waitTimeSeconds: 0.2,
    visibilityTimeoutSeconds: options.sqsVisibilityTimeoutSeconds ?? 2,
    logger,
  });

  const handlers = new Map(ROUTES.map((r) => [r, HANDLERS[r.fn]!(deps)]));

  const server: Server = createServer((req, res) => {
    void (async () => {
      if (await psp.handle(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://sandbox');
      if (req.method === 'GET' && url.pathname === '/health') {
        return writeResult(res, { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' });
      }
      if (req.method === 'GET' && url.pathname === '/sandbox/sms') {
        return writeResult(res, { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(sms.listing()) });
      }
      if (req.method === 'GET' && url.pathname === '/sandbox/events') {
        return writeResult(res, { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: bus.list() }) });
      }
      const matches = ROUTES.flatMap((route) => {
        const params = matchPath(route.path, url.pathname);
        return params ? [{ route, params }] : [];
      });
      if (matches.length === 0) return writeResult(res, problem(404, 'Not found', `no route for ${url.pathname}`));
      const match = matches.find((m) => m.route.method === req.method);
      if (!match) {
        const allowed = [...new Set(matches.map((m) => m.route.method))].join(', ');
        const result = problem(405, 'Method not allowed', `use ${allowed}`);
        return writeResult(res, { ...result, headers: { ...result.headers, allow: allowed } });
      }
      let body: Buffer;
      try {
        body = await readRequestBody(req);
      } catch (err) {
        if (err instanceof BodyTooLargeForGateway) return writeResult(res, problem(413, 'Payload too large', 'request body too large'));
        throw err;
      }
      const event = toProxyEvent(req, url, body, { resource: match.route.path, pathParameters: match.params }, STAGE);
      const result = await handlers.get(match.route)!(event, lambdaContext(match.route.fn));
      writeResult(res, result);
    })().catch((error: unknown) => {
      logger.error('sandbox server error', { error });
      if (!res.headersSent) writeResult(res, problem(500, 'Internal Server Error', 'sandbox failure'));
      else res.end();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host === '127.0.0.1' || host === '::1' ? 'localhost' : host}:${port}`;
  await poller.start();
  await senderPoller.start();
  await notifierPoller.start();
  await feedbackPoller.start();
  await resumeWorkflows(direct, tableName, deps, logger);

  return {
    url: baseUrl,
    port,
    tableName,
    db,
    deps,
    bus,
    stream,
    psp,
    sqs,
    poller,
    senderPoller,
    notifierPoller,
    feedbackPoller,
    ses,
    sms,
    mailer,
    workflow,
    suppressions,
    webhookSecret,
    merchantWebhookSecret,
    /** Waits until every webhook, psp delivery and stream record that is due has been handled. */
    settle: async () => {
      for (let round = 0; round < 3; round++) {
        await psp.idle();
        await poller.drain();
        await stream.drain();
        // Scheduled webhook retries wait in the queue as delayed messages: not "work in progress".
        await senderPoller.drain({ ignoreDelayed: true });
        await notifierPoller.drain();
        await mailer.settle();
        await feedbackPoller.drain();
      }
    },
    stop: async () => {
      psp.close();
      await workflow.close();
      await poller.stop();
      await senderPoller.stop();
      await notifierPoller.stop();
      await mailer.settle();
      await feedbackPoller.stop();
      await ses.close();
      await closeServer(server);
      await stream.drain();
      await sqs.close();
      await proxy.close();
      direct.destroy();
      db.destroy();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}
