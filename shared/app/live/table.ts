/** Live ports kept in the table (DynamoDB), on one document client per container. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoClientThrottle } from '../../adapters/client-throttle.js';
import { DynamoDeliveryStore, DynamoEndpointHealth, DynamoMerchantSecretStore } from '../../adapters/delivery-store.js';
import { makeDocumentClient } from '../../adapters/dynamodb.js';
import { DynamoIdempotencyStore } from '../../adapters/idempotency-store.js';
import { DynamoLinkStore } from '../../adapters/link-store.js';
import { DynamoMerchantDirectory } from '../../adapters/merchant-directory.js';
import { DynamoSuppressionList } from '../../adapters/suppression-list.js';
import { systemClock } from '../ambient.js';
import { ENV, requiredEnv } from '../env.js';

let client: DynamoDBDocumentClient | undefined;
const db = () => (client ??= makeDocumentClient());
const table = () => requiredEnv(ENV.tableName);

export const links = () => new DynamoLinkStore(db(), table());
export const merchants = () => new DynamoMerchantDirectory(db(), table());
export const idempotency = () => new DynamoIdempotencyStore(db(), table(), systemClock);
export const clientThrottle = () => new DynamoClientThrottle(db(), table());
export const deliveries = () => new DynamoDeliveryStore(db(), table());
export const webhookSecrets = () => new DynamoMerchantSecretStore(db(), table());
export const endpoints = () => new DynamoEndpointHealth(db(), table());
export const suppressions = () => new DynamoSuppressionList(db(), table());
