/**
 * Every port a function may be given, by the one name it has everywhere: the manifest lists these
 * names, handlers and domain code take them under the same names, and the wiring (live.ts on AWS,
 * sandbox/compose.ts in the sandbox and tests) builds them. Types only.
 */
import type { PrivateSigningJwk } from '../adapters/redirection-keys.js';
import type { PublicUrls } from '../domain/link/model.js';
import type {
  AccessTokens,
  ClientThrottle,
  Clock,
  DeliveryLocator,
  DeliveryQueue,
  DeliveryStore,
  EndpointHealth,
  EventBus,
  IdGenerator,
  IdempotencyStore,
  KeyRing,
  LinkStore,
  Mailer,
  MerchantDirectory,
  MerchantSecretStore,
  MessageRenderer,
  NotificationQueue,
  ProviderEventQueue,
  RedirectionSigner,
  SmsSender,
  SuppressionList,
  WebhookHttp,
  WorkflowEngine,
} from '../domain/ports.js';
import type { UrlPolicy } from '../domain/url-policy.js';
import type { ApiEvent } from '../http/api.js';
import type { Logger } from '../logger.js';
import type { ProviderRegistry } from '../providers/payment-provider.js';

export interface Ports {
  // In the table (DynamoDB).
  links: LinkStore;
  merchants: MerchantDirectory;
  idempotency: IdempotencyStore;
  clientThrottle: ClientThrottle;
  deliveries: DeliveryStore & DeliveryLocator;
  webhookSecrets: MerchantSecretStore;
  endpoints: EndpointHealth;
  suppressions: SuppressionList;
  // Keys and provider credentials (Secrets Manager).
  tokens: AccessTokens;
  redirection: RedirectionSigner;
  redirectionKeys: KeyRing<PrivateSigningJwk>;
  providers: ProviderRegistry;
  // Queues (SQS): provider notifications in, merchant webhooks out, notification requests.
  providerEventQueue: ProviderEventQueue;
  deliveryQueue: DeliveryQueue;
  notificationQueue: NotificationQueue;
  // Everything else that leaves the function.
  bus: EventBus;
  workflow: WorkflowEngine;
  mailer: Mailer;
  sms: SmsSender;
  webhookHttp: WebhookHttp;
  // Configuration and pure collaborators.
  /** New link ids (random UUIDs on AWS and in the sandbox; sequential in unit tests). */
  ids: IdGenerator;
  renderer: MessageRenderer;
  /** Public base URLs; on AWS derived from the request unless configured (custom domain). */
  urls: (event?: ApiEvent) => PublicUrls;
  urlPolicy: UrlPolicy;
}

export type PortName = keyof Ports;

/** Given to every function without being listed in the manifest. */
export interface Ambient {
  clock: Clock;
  logger: Logger;
}

/** Knobs the sandbox turns (short retry schedules in tests); production uses the domain's defaults. */
export interface Tuning {
  /** Seconds between merchant-webhook attempts; RETRY_SCHEDULE_SECONDS by default. */
  retrySchedule?: readonly number[];
  /** One merchant-webhook attempt's timeout; ATTEMPT_TIMEOUT_MS by default. */
  attemptTimeoutMs?: number;
}

/** Everything: what the sandbox and the integration tests build once and hand to every handler. */
export type AppDeps = Ports & Ambient & Tuning;

/** What a function's handler is given: its ports and the ambient ones. */
export type DepsOf<P extends PortName> = Pick<Ports, P> & Ambient & Tuning;
