/**
 * The embedded local sandbox: every function of the manifest in one Node process, on real local
 * stand-ins: dynalite (on disk or in memory) behind a proxy that emulates the table's stream,
 * local-aws-sqs with the manifest's queues, aws-ses-v2-local, the local Step Functions runner, an
 * SMS outbox, an in-process bus, and the built-in payment provider; the same handlers that run on
 * Lambda behind an HTTP server that speaks API Gateway's proxy events (sandbox/functions.ts wires
 * them by trigger, sandbox/server.ts serves them).
 *
 * With a data dir, what the stand-ins keep in memory is journaled next to the table (journal/):
 * queue messages, stream records, bus events and the PSP's sessions and payments survive a crash
 * of the process; on restart they come back and the open links' workflows start again
 * (resume.ts), so nothing accepted is lost.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { newMerchantWebhookSecret } from '../shared/adapters/delivery-store.js';
import { SesMailer } from '../shared/adapters/ses-mailer.js';
import { SqsQueue } from '../shared/adapters/sqs-queue.js';
import { NodeWebhookHttp } from '../shared/adapters/webhook-http.js';
import { functionsTriggeredBy } from '../shared/app/functions.js';
import type { AppDeps } from '../shared/app/ports.js';
import { QUEUES, QUEUE_NAMES, type QueueName } from '../shared/app/queues.js';
import type { DeliveryMessage, Mailer, ProviderEventMessage } from '../shared/domain/ports.js';
import type { NotificationRequest } from '../shared/domain/notifications/notifications.js';
import type { Clock } from '../shared/domain/ports.js';
import type { DynamoSuppressionList } from '../shared/adapters/suppression-list.js';
import { ATTEMPT_TIMEOUT_MS } from '../shared/domain/merchant-webhooks/delivery.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { StaticProviderRegistry } from '../shared/providers/registry.js';
import { SandboxProvider } from '../shared/providers/sandbox-provider.js';
import { BounceSimulatingMailer } from './bounce-simulator.js';
import { closeServer } from './close-server.js';
import { composeDeps } from './compose.js';
import { DEMO_MERCHANTS } from './demo-merchants.js';
import { startDynamo } from './dynamo.js';
import { SandboxEventBus } from './event-bus.js';
import { JournaledEventBus } from './journaled-event-bus.js';
import { wireFunctions } from './functions.js';
import { loadOrCreateSigningKeys, redirectionKeyRing } from './keys.js';
import { createSandboxPsp, type SandboxPsp } from './psp/sandbox-psp.js';
import { newWebhookSecret } from './psp/webhooks.js';
import { resumeWorkflows } from './resume.js';
import { createSandboxServer } from './server.js';
import { DEFAULT_SES_PORT, startSes, type SandboxSes } from './ses.js';
import { SandboxSmsOutbox } from './sms-outbox.js';
import { startSqs, type SandboxSqs } from './sqs.js';
import type { SqsPoller } from './sqs-poller.js';
import { StreamDelivery, type StreamHandler } from './stream-delivery.js';
import { StreamJournal } from './stream-journal.js';
import { LocalWorkflowEngine, type WorkflowTaskHandler } from './workflow-runner.js';

export interface SandboxOptions {
  /** HTTP port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Where dynalite keeps its data, and the journals of queues, stream and bus; undefined keeps everything in memory. */
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

const SANDBOX_FROM = 'Paylink Sandbox <links@paylink.sandbox>';

function parseSchedule(value: string | undefined): number[] | undefined {
  if (!value) return undefined;
  const steps = value.split(',').map((v) => Number(v.trim()));
  if (steps.length === 0 || steps.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new Error('PAYLINK_WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, e.g. 1,1,2');
  }
  return steps;
}

/** The sandbox's queue names: paylink-<queue>, the provider events keeping their historical name. */
const sandboxQueueName = (queue: QueueName) => (queue === 'providerEvents' ? 'paylink-inbound-webhooks' : `paylink-${queue.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const tableName = options.tableName ?? 'paylink-sandbox';
  // Configuration is checked before anything starts, so a mistake leaves nothing running.
  const merchantWebhookSecret = options.merchantWebhookSecret ?? process.env.PAYLINK_SANDBOX_WEBHOOK_SECRET ?? newMerchantWebhookSecret();
  if (!/^whsec_[A-Za-z0-9+/]{24,}={0,2}$/.test(merchantWebhookSecret)) {
    throw new Error('PAYLINK_SANDBOX_WEBHOOK_SECRET must be a whsec_ value: "whsec_" followed by base64 of at least 18 random bytes');
  }
  const retrySchedule = options.webhookRetrySchedule ?? parseSchedule(process.env.PAYLINK_WEBHOOK_RETRY_SCHEDULE);
  if (options.dataDir) {
    if (options.reset) rmSync(options.dataDir, { recursive: true, force: true });
    mkdirSync(options.dataDir, { recursive: true });
  }
  const journalDir = options.dataDir ? join(options.dataDir, 'journal') : undefined;
  const streamJournal = journalDir ? StreamJournal.open(join(journalDir, 'stream.jsonl')) : undefined;

  // DynamoDB and its stream. The dispatcher needs the ports built below; records written before
  // then (seeding) wait for it.
  let dispatch!: (handler: StreamHandler) => void;
  const dispatcher = new Promise<StreamHandler>((resolve) => (dispatch = resolve));
  const [streamFunction] = functionsTriggeredBy('stream');
  if (!streamFunction) throw new Error('the manifest has no stream function');
  const stream = StreamDelivery.forTrigger(async (event, context) => (await dispatcher)(event, context), logger, streamFunction.trigger, {
    functionName: streamFunction.name,
    ...(streamJournal ? { onHandled: (record, dead) => streamJournal.handled(record, dead) } : {}),
  });
  if (streamJournal) stream.deadLetters.push(...streamJournal.deadLetters);
  const dynamo = await startDynamo({ dataDir: options.dataDir, tableName, emit: (record) => stream.push(record), journal: streamJournal });
  const bus = journalDir ? JournaledEventBus.open(join(journalDir, 'events.jsonl')) : new SandboxEventBus();
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
    ...(journalDir ? { journalPath: join(journalDir, 'psp.jsonl') } : {}),
  });
  const providers = new StaticProviderRegistry([new SandboxProvider({ baseUrl: () => `${baseUrl}/sandbox-psp`, apiKey: pspApiKey, webhookSecret })]);

  // The manifest's queues on local-aws-sqs, each with its DLQ after the queue's max receives.
  const sqs = await startSqs({
    region: 'eu-west-1',
    queueName: sandboxQueueName('providerEvents'),
    maxReceiveCount: QUEUES.providerEvents.maxReceives,
    ...(journalDir ? { journalPath: join(journalDir, 'sqs.jsonl') } : {}),
  });
  const queueUrls = { providerEvents: sqs.queueUrl } as Record<QueueName, string>;
  for (const queue of QUEUE_NAMES.filter((q) => q !== 'providerEvents')) {
    queueUrls[queue] = (await sqs.createQueueWithDlq(sandboxQueueName(queue), { maxReceiveCount: QUEUES[queue].maxReceives })).queueUrl;
  }
  // What the last run left in the queues, back before anything polls them.
  const restored = sqs.restore();
  if (restored.restored + dynamo.redelivered > 0) {
    logger.info('sandbox resumed', { queue_messages: restored.restored, expired_messages: restored.dropped, stream_records: dynamo.redelivered });
  }
  const ses = await startSes({ port: options.sesPort ?? Number(process.env.SES_PORT ?? DEFAULT_SES_PORT) });
  const sms = new SandboxSmsOutbox();
  // SES v2 → aws-ses-v2-local; the mailbox simulator's bounces come back through the feedback queue as SNS would bring them.
  const mailer = new BounceSimulatingMailer({
    mailer: new SesMailer(ses.client, { fromEmailAddress: SANDBOX_FROM, configurationSetName: 'paylink-sandbox' }),
    fromEmailAddress: SANDBOX_FROM,
    logger,
    deliver: async (body) => {
      await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrls.sesFeedback, MessageBody: body }));
    },
  });
  // The per-link workflow: the same state machine definition CDK deploys, run by aws-local-stepfunctions.
  // Its tasks are functions wired below, so they are bound once those exist.
  const tasks: { reminder?: WorkflowTaskHandler; expire?: WorkflowTaskHandler } = {};
  const workflow = new LocalWorkflowEngine({
    reminder: (event, context) => tasks.reminder!(event, context),
    expire: (event, context) => tasks.expire!(event, context),
    logger,
  });

  const signingKeys = loadOrCreateSigningKeys(options.dataDir);
  const deps = composeDeps({
    db: dynamo.db,
    tableName,
    bus,
    providers,
    providerEventQueue: new SqsQueue<ProviderEventMessage>(sqs.client, queueUrls.providerEvents),
    deliveryQueue: new SqsQueue<DeliveryMessage>(sqs.client, queueUrls.webhookDeliveries),
    notificationQueue: new SqsQueue<NotificationRequest>(sqs.client, queueUrls.notifications),
    workflow,
    mailer,
    sms,
    webhookHttp: new NodeWebhookHttp({ urlPolicy: 'sandbox' }),
    signingKeys: async () => signingKeys,
    redirectionKeys: redirectionKeyRing(options.dataDir),
    urlPolicy: 'sandbox',
    urls: () => ({ apiBaseUrl: baseUrl, payBaseUrl: process.env.PAY_BASE_URL ?? baseUrl }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(retrySchedule ? { retrySchedule } : {}),
    ...(options.webhookAttemptTimeoutMs ? { attemptTimeoutMs: options.webhookAttemptTimeoutMs } : {}),
    logger,
  });
  const webhookUrl = options.merchantWebhookUrl ?? process.env.PAYLINK_SANDBOX_WEBHOOK_URL;
  for (const demo of DEMO_MERCHANTS) {
    await deps.merchants.register({ ...demo, merchant: { ...demo.merchant, ...(webhookUrl ? { default_webhook_url: webhookUrl } : {}) } });
    await deps.webhookSecrets.set(demo.merchant.entity_id, merchantWebhookSecret, deps.clock.now());
  }

  const base = options.sqsVisibilityTimeoutSeconds ?? 2;
  // The sender works through a batch one attempt at a time: hidden longer than a batch of timed-out attempts.
  const attemptSeconds = (options.webhookAttemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS) / 1000;
  const functions = await wireFunctions(deps, {
    client: sqs.client,
    queueUrls,
    visibilityTimeoutSeconds: (queue) => (queue === 'webhookDeliveries' ? Math.max(base, attemptSeconds * 5 + 5) : base),
    logger,
  });
  Object.assign(tasks, functions.tasks);
  if (!functions.stream) throw new Error(`${streamFunction.name} was not wired`);
  // The open links' workflows, before the stream's leftovers are dispatched: a link created just
  // before a crash gets the resumed schedule (resume.ts), not every reminder it missed meanwhile.
  await resumeWorkflows(dynamo.direct, tableName, deps, logger);
  dispatch(functions.stream);
  for (const run of functions.atStart) await run();
  const pollers = functions.pollers as Record<QueueName, SqsPoller>;

  const server = createSandboxServer({
    routes: functions.routes,
    psp: (req, res) => psp.handle(req, res),
    views: { sms: () => sms.listing(), events: () => ({ events: bus.list() }) },
    logger,
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host === '127.0.0.1' || host === '::1' ? 'localhost' : host}:${port}`;
  for (const poller of Object.values(pollers)) await poller.start();

  return {
    url: baseUrl,
    port,
    tableName,
    db: dynamo.db,
    deps,
    bus,
    stream,
    psp,
    sqs,
    poller: pollers.providerEvents,
    senderPoller: pollers.webhookDeliveries,
    notifierPoller: pollers.notifications,
    feedbackPoller: pollers.sesFeedback,
    ses,
    sms,
    mailer,
    workflow,
    suppressions: deps.suppressions as DynamoSuppressionList,
    webhookSecret,
    merchantWebhookSecret,
    /** Waits until every webhook, psp delivery and stream record that is due has been handled. */
    settle: async () => {
      for (let round = 0; round < 3; round++) {
        await psp.idle();
        await pollers.providerEvents.drain();
        await stream.drain();
        // Scheduled webhook retries wait in the queue as delayed messages: not "work in progress".
        await pollers.webhookDeliveries.drain({ ignoreDelayed: true });
        await pollers.notifications.drain();
        await mailer.settle();
        await pollers.sesFeedback.drain();
      }
    },
    stop: async () => {
      psp.close();
      await workflow.close();
      await pollers.providerEvents.stop();
      await pollers.webhookDeliveries.stop();
      await pollers.notifications.stop();
      await mailer.settle();
      await pollers.sesFeedback.stop();
      await ses.close();
      await closeServer(server);
      await stream.drain();
      await sqs.close();
      await dynamo.close();
      streamJournal?.close();
      if (bus instanceof JournaledEventBus) bus.close();
    },
  };
}
