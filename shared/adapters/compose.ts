/**
 * The composition module: builds every port from endpoints and configuration. AWS (liveDeps), the
 * sandbox and the integration tests all come through here, so they differ only in what they pass.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PublicUrls } from '../domain/payment-link.js';
import type { Clock, EventBus } from '../domain/ports.js';
import type { UrlPolicy } from '../domain/url-policy.js';
import { systemClock, type AppDeps } from '../deps.js';
import type { ApiEvent } from '../http/api.js';
import { createLogger, type LogLevel, type Logger } from '../logger.js';
import { JoseAccessTokens, parseSigningKeys, type SigningKey } from './access-tokens.js';
import { makeDocumentClient } from './dynamodb.js';
import { EventBridgeBus } from './event-bus.js';
import { DynamoIdempotencyStore } from './idempotency-store.js';
import { DynamoLinkStore } from './link-store.js';
import { DynamoMerchantDirectory } from './merchant-directory.js';

export interface ComposeOptions {
  db: DynamoDBDocumentClient;
  tableName: string;
  bus: EventBus;
  signingKeys: () => Promise<SigningKey[]>;
  urlPolicy: UrlPolicy;
  urls: (event?: ApiEvent) => PublicUrls;
  clock?: Clock;
  logger?: Logger;
}

export function composeDeps(o: ComposeOptions): AppDeps & { merchants: DynamoMerchantDirectory } {
  const clock = o.clock ?? systemClock;
  return {
    links: new DynamoLinkStore(o.db, o.tableName),
    merchants: new DynamoMerchantDirectory(o.db, o.tableName),
    idempotency: new DynamoIdempotencyStore(o.db, o.tableName, clock),
    tokens: new JoseAccessTokens(o.signingKeys, clock),
    bus: o.bus,
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

function liveLogger(): Logger {
  return createLogger({ level: (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info', bindings: { service: 'paylink' } });
}

function liveEventBus(): EventBus {
  return new EventBridgeBus(new EventBridgeClient({}), requiredEnv('EVENT_BUS_NAME'));
}

/** The stream dispatcher needs the bus and a logger only (and gets no table or secret access). */
export function liveDispatcherDeps(): Pick<AppDeps, 'bus' | 'logger'> {
  return { bus: liveEventBus(), logger: liveLogger() };
}

let cached: AppDeps | undefined;

/** Ports for AWS, from the Lambda environment. Built once per cold start. */
export function liveDeps(): AppDeps {
  if (cached) return cached;
  const tableName = requiredEnv('TABLE_NAME');
  const secretArn = requiredEnv('TOKEN_KEYS_SECRET_ARN');
  const secrets = new SecretsManagerClient({});
  let keys: Promise<SigningKey[]> | undefined;
  const signingKeys = () =>
    (keys ??= secrets
      .send(new GetSecretValueCommand({ SecretId: secretArn }))
      .then((out) => parseSigningKeys(out.SecretString ?? ''))
      .catch((err: unknown) => {
        keys = undefined; // try again on the next request rather than caching a failure
        throw err;
      }));
  const configured = {
    ...(process.env.PUBLIC_API_BASE_URL ? { api: process.env.PUBLIC_API_BASE_URL } : {}),
    ...(process.env.PAY_BASE_URL ? { pay: process.env.PAY_BASE_URL } : {}),
  };
  cached = composeDeps({
    db: makeDocumentClient(),
    tableName,
    bus: liveEventBus(),
    signingKeys,
    urlPolicy: process.env.URL_POLICY === 'sandbox' ? 'sandbox' : 'production',
    urls: (event) => urlsFromRequest(event, configured),
    logger: liveLogger(),
  });
  return cached;
}
