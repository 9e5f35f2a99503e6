/**
 * The manifest: every Paylink function, once. For each: why it exists, what invokes it (a route, a
 * queue, the table's stream, a workflow task, a schedule), the ports it is given, the table access
 * it needs and its limits. The CDK stack (infra/), the sandbox (sandbox/) and the live wiring
 * (functions/<name>/index.ts through shared/app/live.ts) all loop over this table, so adding a
 * function is one entry here plus its folder under functions/.
 *
 * Pure data: nothing here imports a handler, an adapter or an SDK.
 */
import { ATTEMPT_TIMEOUT_MS } from '../domain/merchant-webhooks/delivery.js';
import type { PortName } from './ports.js';
import type { QueueName } from './queues.js';

export type HttpMethod = 'GET' | 'POST';

export interface RouteTrigger {
  kind: 'route';
  method: HttpMethod;
  /** API Gateway resource path, with {param} segments. */
  path: string;
  /** Whether API Gateway requires the x-api-key (usage plans); the handler checks it as well. */
  apiKeyRequired: boolean;
}

export interface QueueTrigger {
  kind: 'queue';
  queue: QueueName;
  /** Messages per invocation (SQS event source batch size; the sandbox's poller takes as many). */
  batchSize: number;
  /** How long the event source may gather a batch; unset: no batching window. */
  maxBatchingWindowSeconds?: number;
  /** Invocations at once (event source maximum concurrency); unset: Lambda's default scaling. */
  maxConcurrency?: number;
}

export interface StreamTrigger {
  kind: 'stream';
  batchSize: number;
  retryAttempts: number;
  maxRecordAgeHours: number;
}

export interface TaskTrigger {
  kind: 'task';
  /** The workflow task this function runs (infra/link-workflow.ts names the states). */
  task: 'reminder' | 'expire';
}

export interface ScheduleTrigger {
  kind: 'schedule';
  /** Days between scheduled runs. */
  everyDays: number;
  /** Also run once at deployment (a CDK trigger), so a fresh stack is usable at once. */
  atDeployment: boolean;
}

export type Trigger = RouteTrigger | QueueTrigger | StreamTrigger | TaskTrigger | ScheduleTrigger;

export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

export interface TableAccess {
  /** The IAM statement id: names what the access is for. */
  sid: string;
  /** DynamoDB actions on the base table, exactly those the function's adapters issue. */
  actions: readonly TableAction[];
  /** Query on the three list indexes (the merchant's list views). */
  indexes?: boolean;
}

export interface FunctionSpec {
  /** What it does and why it is allowed what it is allowed (the stack's and the docs' comment). */
  description: string;
  trigger: Trigger;
  /** The ports it is given, beyond the ambient clock, ids and logger (shared/app/ports.ts). */
  ports: readonly PortName[];
  /** Its table access, when one of its ports lives in the table. */
  table?: TableAccess;
  /** Its Lambda timeout; DEFAULT_TIMEOUT_SECONDS when unset. Idempotency-Key leases are derived from it. */
  timeoutSeconds?: number;
  memoryMb?: number;
}

/** What a function gets when its entry sets no timeoutSeconds (the stack reads it from here). */
export const DEFAULT_TIMEOUT_SECONDS = 10;

const route = (method: HttpMethod, path: string, apiKeyRequired: boolean): RouteTrigger => ({ kind: 'route', method, path, apiKeyRequired });

/** What every merchant route needs to authenticate: the API key, client and merchant items, the token keys. */
const MERCHANT_AUTH = ['merchants', 'tokens'] as const satisfies readonly PortName[];

/**
 * The merchant API's link routes share one grant: links, merchants, clients and keys (Get/Put),
 * idempotency records (Get/Put/Update/Delete), and the three list indexes.
 */
const MERCHANT_API_TABLE: TableAccess = { sid: 'TableItems', actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], indexes: true };
const LINK_API_PORTS = ['links', ...MERCHANT_AUTH, 'idempotency', 'urls', 'urlPolicy'] as const satisfies readonly PortName[];

/** Merchant-webhook messages per sender invocation; each may take one attempt of ATTEMPT_TIMEOUT_MS. */
const DELIVERY_BATCH_SIZE = 5;

export const FUNCTIONS = {
  // ── The merchant API ───────────────────────────────────────────────────────────────────────
  'oauth-token': {
    description:
      'OAuth2 client credentials: checks the client secret (hashed in the table) and signs an access token. ' +
      'Failed attempts are counted per client id and window in the table (a conditional UpdateItem), so the throttle holds across Lambdas.',
    trigger: route('POST', '/oauth/token', false),
    ports: ['merchants', 'tokens', 'clientThrottle'],
    // The client and merchant items (GetItem), the throttle's counter (UpdateItem): nothing else.
    table: { sid: 'TableClientsAndThrottle', actions: ['GetItem', 'UpdateItem'] },
  },
  'create-payment-link': {
    description: 'Creates a link (conditional PutItem), Idempotency-Key aware.',
    trigger: route('POST', '/payment/v2/payment-links', true),
    ports: [...LINK_API_PORTS, 'ids'],
    table: MERCHANT_API_TABLE,
  },
  'list-payment-links': {
    description: "The merchant's links, newest first, from the list indexes.",
    trigger: route('GET', '/payment/v2/payment-links', true),
    ports: LINK_API_PORTS,
    table: MERCHANT_API_TABLE,
  },
  'get-payment-link': {
    description: "One of the caller's links; anyone else's is a 404.",
    trigger: route('GET', '/payment/v2/payment-links/{id}', true),
    ports: LINK_API_PORTS,
    table: MERCHANT_API_TABLE,
  },
  'cancel-payment-link': {
    description: 'Cancels a link under the version condition; cancelling again is a 200.',
    trigger: route('POST', '/payment/v2/payment-links/{id}/cancel', true),
    ports: LINK_API_PORTS,
    table: MERCHANT_API_TABLE,
  },
  // Merchant webhook administration. Authentication reads the API key, client and merchant items
  // (GetItem) and verifies the token; none of the three checks a URL or renders a link.
  'list-webhook-deliveries': {
    description: "The delivery log: the link (ownership), then its deliveries, a Query of the link's partition in the base table (no index).",
    trigger: route('GET', '/payment/v2/payment-links/{id}/webhook-deliveries', true),
    ports: ['links', ...MERCHANT_AUTH, 'deliveries'],
    table: { sid: 'TableDeliveryLog', actions: ['GetItem', 'Query'] },
  },
  'retry-webhook-delivery': {
    description: 'Replay: finds the delivery from its event pointer and queues it for the sender, now.',
    trigger: route('POST', '/payment/v2/webhook-deliveries/{event_id}/retry', true),
    ports: ['links', ...MERCHANT_AUTH, 'deliveries', 'deliveryQueue'],
    table: { sid: 'TableItemReads', actions: ['GetItem'] },
  },
  'rotate-webhook-secret': {
    description: 'A new webhook signing secret; the previous one keeps signing for the grace period.',
    trigger: route('POST', '/payment/v2/webhook-secrets/rotate', true),
    // Idempotency-Key aware: a retried rotation must not end the secret the merchant just deployed.
    ports: [...MERCHANT_AUTH, 'webhookSecrets', 'idempotency'],
    table: { sid: 'TableWebhookSecrets', actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'] },
  },
  'resend-notification': {
    description: 'Sends the link again: the resend is counted on the link (the conditional write enforces the hourly limit) and queued for the notifier; it sends nothing itself.',
    trigger: route('POST', '/payment/v2/payment-links/{id}/notifications', true),
    // Idempotency-Key aware (its records: Put, Update, Delete); a retried resend is replayed, not sent again.
    ports: ['links', ...MERCHANT_AUTH, 'notificationQueue', 'idempotency'],
    table: { sid: 'TableLinkItems', actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'] },
  },
  // ── Public routes ──────────────────────────────────────────────────────────────────────────
  jwks: {
    description: 'Public keys that verify purse-redirection-data tokens: it reads the private JWKs to derive them and never sees the table.',
    trigger: route('GET', '/payment/v2/jwks', false),
    ports: ['redirection'],
  },
  'customer-page': {
    description: 'The customer URL: marks the link OPENED and opens a client session at its provider (303 to its hosted page).',
    trigger: route('GET', '/payment-links/{id}', false),
    ports: ['links', 'merchants', 'providers', 'urls'],
    table: { sid: 'TableLinkItems', actions: ['GetItem', 'PutItem'] },
  },
  'shopper-return': {
    description:
      "Back from the provider's page: reads the session and payment at the provider, applies them to the link as their webhook would " +
      '(conditional write: read-your-writes for the merchant), signs the outcome, forwards to the merchant.',
    trigger: route('GET', '/payment-links/{id}/return', false),
    // Applies the provider's answer like the consumer: it may void or refund at the provider, hence its configuration.
    ports: ['links', 'providers', 'redirection'],
    table: { sid: 'TableLinkItems', actions: ['GetItem', 'PutItem'] },
  },
  'provider-webhook-receiver': {
    description: "Verifies a provider notification with the provider's secret and queues it (202); it never touches the table.",
    trigger: route('POST', '/webhooks/{provider}', false),
    ports: ['providers', 'providerEventQueue'],
  },
  // ── Behind queues, the stream and the workflow ─────────────────────────────────────────────
  'provider-webhook-consumer': {
    description:
      'Applies queued provider notifications to links (conditional writes) and voids or refunds late payments at the provider, ' +
      'hence the provider configuration. Queue access comes from the event source.',
    // A shopper waits on the outcome: batch what arrives together, but never hold it long.
    trigger: { kind: 'queue', queue: 'providerEvents', batchSize: 10, maxBatchingWindowSeconds: 1 },
    ports: ['links', 'providers'],
    table: { sid: 'TableLinkItems', actions: ['GetItem', 'PutItem'] },
    timeoutSeconds: 30,
  },
  'stream-dispatcher': {
    description:
      'The one place a committed change becomes effects: events on the bus, merchant webhooks (a delivery and its event pointer ' +
      'written, a message queued for the sender), and for a new link its initial notifications and its workflow (started, named ' +
      'after the link; stopped when the link is paid or cancelled). It reads no secret.',
    trigger: { kind: 'stream', batchSize: 100, retryAttempts: 10, maxRecordAgeHours: 24 },
    ports: ['bus', 'merchants', 'deliveries', 'deliveryQueue', 'notificationQueue', 'workflow', 'urls'],
    table: { sid: 'TableWebhookDeliveries', actions: ['GetItem', 'PutItem'] },
    timeoutSeconds: 30,
  },
  'merchant-webhook-sender': {
    description:
      "One attempt per due message, recorded on the delivery, signed with the merchant's secrets (read, or created on a " +
      "merchant's first webhook), skipped while the endpoint is marked gone (410; the mark is deleted by a successful replay), " +
      'and the next attempt queued by the sender itself. No VPC: the SSRF guard is in the code (URL policy, checked after DNS).',
    trigger: { kind: 'queue', queue: 'webhookDeliveries', batchSize: DELIVERY_BATCH_SIZE },
    ports: ['deliveries', 'deliveryQueue', 'webhookSecrets', 'endpoints', 'webhookHttp'],
    table: { sid: 'TableWebhookSending', actions: ['GetItem', 'PutItem', 'DeleteItem'] },
    // A batch is worked through one message at a time: a whole batch of timed-out attempts, plus a
    // margin for the table reads and writes and the re-enqueues.
    timeoutSeconds: (DELIVERY_BATCH_SIZE * ATTEMPT_TIMEOUT_MS) / 1000 + 15,
  },
  notifier: {
    description:
      'One request at a time: the link read, skipped if already sent or no longer wanted, the address checked against the ' +
      "merchant's suppression list, the email (SES) or SMS (SNS) sent, and the outcome written on the link.",
    // SES and SNS SMS enforce per-second sending quotas per account (a new SES production account
    // may send 14 messages a second), and a throttled send costs a redelivery. Raise it with the quotas.
    trigger: { kind: 'queue', queue: 'notifications', batchSize: 10, maxConcurrency: 5 },
    ports: ['links', 'merchants', 'mailer', 'sms', 'suppressions', 'renderer', 'urls'],
    table: { sid: 'TableNotifications', actions: ['GetItem', 'PutItem'] },
    timeoutSeconds: 30,
  },
  'ses-feedback-handler': {
    description:
      "A permanent bounce or a complaint puts each address on the merchant's suppression list (one idempotent UpdateItem, " +
      'never a read); transient bounces change nothing.',
    trigger: { kind: 'queue', queue: 'sesFeedback', batchSize: 10 },
    ports: ['suppressions'],
    table: { sid: 'TableSuppressionList', actions: ['UpdateItem'] },
    timeoutSeconds: 30,
  },
  'workflow-reminder': {
    description: 'Reads the link and queues a REMINDER per channel while it is CREATED or OPENED; it sends nothing itself.',
    trigger: { kind: 'task', task: 'reminder' },
    ports: ['links', 'notificationQueue'],
    table: { sid: 'TableLinkReads', actions: ['GetItem'] },
  },
  'workflow-expire': {
    description: 'Reads the link and writes it EXPIRED under the version condition; the stream does the rest.',
    trigger: { kind: 'task', task: 'expire' },
    ports: ['links'],
    table: { sid: 'TableLinkItems', actions: ['GetItem', 'PutItem'] },
  },
  'redirection-key-rotator': {
    description: 'Keeps the redirection signing keys: creates the first at deployment, rotates every 90 days (the previous key still verifies).',
    trigger: { kind: 'schedule', everyDays: 90, atDeployment: true },
    ports: ['redirectionKeys'],
    timeoutSeconds: 30,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;
export type PortsOf<N extends FunctionName> = (typeof FUNCTIONS)[N]['ports'][number];

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

export const functionSpec = (name: FunctionName): FunctionSpec => FUNCTIONS[name];

/** How long Lambda lets the function run before it stops it. */
export const timeoutSecondsOf = (name: FunctionName): number => functionSpec(name).timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;

export interface Route extends RouteTrigger {
  fn: FunctionName;
}

/** The REST API's routes, derived from the manifest: API Gateway methods and the sandbox's router. */
export const ROUTES: readonly Route[] = FUNCTION_NAMES.flatMap((fn) => {
  const trigger: Trigger = FUNCTIONS[fn].trigger;
  return trigger.kind === 'route' ? [{ ...trigger, fn }] : [];
});

/** The functions a trigger kind invokes, with their triggers. */
export function functionsTriggeredBy<K extends Trigger['kind']>(kind: K): Array<{ name: FunctionName; spec: FunctionSpec; trigger: Extract<Trigger, { kind: K }> }> {
  return FUNCTION_NAMES.flatMap((name) => {
    const spec: FunctionSpec = FUNCTIONS[name];
    return spec.trigger.kind === kind ? [{ name, spec, trigger: spec.trigger as Extract<Trigger, { kind: K }> }] : [];
  });
}
