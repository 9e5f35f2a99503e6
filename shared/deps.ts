/** Everything a handler may be given. Built once per process by shared/adapters/compose.ts. */
import type { PublicUrls } from './domain/payment-link.js';
import type { AccessTokens, Clock, EventBus, IdGenerator, IdempotencyStore, LinkStore, MerchantDirectory } from './domain/ports.js';
import type { DeliveryLocator, DeliveryQueue, DeliveryStore, EndpointHealth, MerchantSecretStore } from './domain/merchant-webhooks.js';
import type { NotificationQueue } from './domain/notifications.js';
import type { WebhookQueue } from './domain/queue.js';
import type { WorkflowEngine } from './domain/workflow.js';
import type { RedirectionSigner } from './domain/redirection.js';
import type { UrlPolicy } from './domain/url-policy.js';
import type { ProviderRegistry } from './providers/payment-provider.js';
import type { ApiEvent } from './http/api.js';
import type { Logger } from './logger.js';

export interface AppDeps {
  links: LinkStore;
  merchants: MerchantDirectory;
  idempotency: IdempotencyStore;
  tokens: AccessTokens;
  bus: EventBus;
  providers: ProviderRegistry;
  webhookQueue: WebhookQueue;
  deliveries: DeliveryStore & DeliveryLocator;
  deliveryQueue: DeliveryQueue;
  webhookSecrets: MerchantSecretStore;
  endpoints: EndpointHealth;
  notificationQueue: NotificationQueue;
  workflow: WorkflowEngine;
  redirection: RedirectionSigner;
  clock: Clock;
  ids: IdGenerator;
  urlPolicy: UrlPolicy;
  /** Public base URLs; on AWS derived from the request unless configured (custom domain). */
  urls: (event?: ApiEvent) => PublicUrls;
  logger: Logger;
}

export const systemClock: Clock = { now: () => new Date() };
