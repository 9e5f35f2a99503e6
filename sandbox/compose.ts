/**
 * The sandbox's composition root: every port of shared/app/ports.ts built once, on the local
 * stand-ins, and handed to every handler (each takes the ports its manifest entry lists). The
 * integration tests reach the same object as `sandbox.deps`.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JoseAccessTokens, type SigningKey } from '../shared/adapters/access-tokens.js';
import { DynamoClientThrottle } from '../shared/adapters/client-throttle.js';
import { DynamoDeliveryStore, DynamoEndpointHealth, DynamoMerchantSecretStore } from '../shared/adapters/delivery-store.js';
import { DynamoIdempotencyStore } from '../shared/adapters/idempotency-store.js';
import { DynamoLinkStore } from '../shared/adapters/link-store.js';
import { DynamoMerchantDirectory } from '../shared/adapters/merchant-directory.js';
import { JoseRedirectionSigner, type PrivateSigningJwk } from '../shared/adapters/redirection-keys.js';
import { DynamoSuppressionList } from '../shared/adapters/suppression-list.js';
import { randomIds, systemClock } from '../shared/app/ambient.js';
import type { AppDeps, Ports, Tuning } from '../shared/app/ports.js';
import { messageRenderer } from '../shared/domain/notifications/messages.js';
import type { Clock, KeyRing } from '../shared/domain/ports.js';
import type { Logger } from '../shared/logger.js';

/** What the stand-ins provide; the table's ports are built here on the document client. */
export type ComposeOptions = Pick<
  Ports,
  'bus' | 'providers' | 'providerEventQueue' | 'deliveryQueue' | 'notificationQueue' | 'workflow' | 'mailer' | 'sms' | 'webhookHttp' | 'urls' | 'urlPolicy'
> &
  Tuning & {
    db: DynamoDBDocumentClient;
    tableName: string;
    signingKeys: () => Promise<SigningKey[]>;
    redirectionKeys: KeyRing<PrivateSigningJwk>;
    clock?: Clock;
    logger: Logger;
  };

export function composeDeps(o: ComposeOptions): AppDeps & { merchants: DynamoMerchantDirectory; webhookSecrets: DynamoMerchantSecretStore } {
  const { db, tableName, signingKeys, redirectionKeys, clock = systemClock, ...given } = o;
  return {
    ...given,
    links: new DynamoLinkStore(db, tableName),
    merchants: new DynamoMerchantDirectory(db, tableName),
    idempotency: new DynamoIdempotencyStore(db, tableName, clock),
    clientThrottle: new DynamoClientThrottle(db, tableName),
    deliveries: new DynamoDeliveryStore(db, tableName),
    webhookSecrets: new DynamoMerchantSecretStore(db, tableName),
    endpoints: new DynamoEndpointHealth(db, tableName),
    suppressions: new DynamoSuppressionList(db, tableName),
    tokens: new JoseAccessTokens(signingKeys, clock),
    redirection: new JoseRedirectionSigner(() => redirectionKeys.read(), clock),
    redirectionKeys,
    renderer: messageRenderer,
    clock,
    ids: randomIds,
  };
}
