/** Everything a handler may be given. Built once per process by shared/adapters/compose.ts. */
import type { PublicUrls } from './domain/link/model.js';
import type { AccessTokens, Clock, EventBus, IdGenerator, IdempotencyStore, LinkStore, MerchantDirectory } from './domain/ports.js';
import type { DeliveryLocator, DeliveryQueue, DeliveryStore, EndpointHealth, MerchantSecretStore } from './domain/ports.js';
import type { NotificationQueue } from './domain/ports.js';
import type { ProviderEventQueue } from './domain/ports.js';
import type { WorkflowEngine } from './domain/ports.js';
import type { RedirectionSigner } from './domain/ports.js';
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
  providerEventQueue: ProviderEventQueue;
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
