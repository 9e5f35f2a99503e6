/** Merchant-webhook deliveries in the single table (in their link's partition) and their secrets. */
import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VersionConflictError } from '../domain/errors.js';
import { SECRET_ROTATION_GRACE_MS, type WebhookDelivery } from '../domain/merchant-webhooks/delivery.js';
import type { DeliveryStore, EndpointHealth, MerchantSecret, MerchantSecretStore } from '../domain/ports.js';
import { isConditionalCheckFailed, keyFits, keys, queryByPrefix } from './dynamodb.js';

const strip = (item: Record<string, unknown>) => {
  const { PK: _pk, SK: _sk, ...rest } = item;
  return rest;
};

export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createIfAbsent(delivery: WebhookDelivery): Promise<WebhookDelivery> {
    // The pointer first: it is idempotent, and a delivery is never without it.
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.webhookEvent(delivery.event_id), payment_link_id: delivery.payment_link_id, entity_id: delivery.entity_id },
      }),
    );
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.delivery(delivery.payment_link_id, delivery.event_id), ...delivery },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return delivery;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const existing = await this.get(delivery.payment_link_id, delivery.event_id);
      if (!existing) throw err;
      return existing;
    }
  }

  async get(paymentLinkId: string, eventId: string): Promise<WebhookDelivery | undefined> {
    if (!keyFits(keys.delivery(paymentLinkId, eventId))) return undefined;
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.delivery(paymentLinkId, eventId), ConsistentRead: true }),
    );
    return out.Item ? (strip(out.Item) as unknown as WebhookDelivery) : undefined;
  }

  /** The link a webhook event belongs to, from the event id alone. */
  async locate(eventId: string): Promise<{ payment_link_id: string; entity_id: string } | undefined> {
    if (!keyFits(keys.webhookEvent(eventId))) return undefined;
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.webhookEvent(eventId) }));
    if (!out.Item) return undefined;
    return { payment_link_id: String(out.Item.payment_link_id), entity_id: String(out.Item.entity_id) };
  }

  async listForLink(paymentLinkId: string): Promise<WebhookDelivery[]> {
    if (!keyFits(keys.link(paymentLinkId))) return [];
    const items = await queryByPrefix(this.db, this.tableName, keys.link(paymentLinkId).PK, 'DELIVERY#', { consistent: true });
    return items
      .map((i) => strip(i) as unknown as WebhookDelivery)
      .sort((a, b) => a.sequence - b.sequence || a.created_at.localeCompare(b.created_at) || a.event_id.localeCompare(b.event_id));
  }

  async update(delivery: WebhookDelivery, expectedVersion: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.delivery(delivery.payment_link_id, delivery.event_id), ...delivery },
          ConditionExpression: 'attribute_exists(PK) AND #version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) throw new VersionConflictError(`delivery ${delivery.event_id} changed since version ${expectedVersion}`);
      throw err;
    }
  }
}

export function newMerchantWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Merchants' webhook signing secrets (they must be readable to sign, so they cannot be hashed;
 * the table is encrypted at rest and they are never logged or put in configuration).
 */
export class DynamoMerchantSecretStore implements MerchantSecretStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async read(entityId: string): Promise<{ secrets: MerchantSecret[]; version: number } | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.webhookSecrets(entityId), ConsistentRead: true }));
    return out.Item ? { secrets: out.Item.secrets as MerchantSecret[], version: Number(out.Item.version) } : undefined;
  }

  private async write(entityId: string, secrets: MerchantSecret[], expectedVersion: number | undefined): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.webhookSecrets(entityId), secrets, version: (expectedVersion ?? 0) + 1 },
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(PK)' }
            : { ConditionExpression: '#version = :v', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async signingSecrets(entityId: string, now: Date): Promise<string[]> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.read(entityId);
      if (current) {
        return current.secrets.filter((s) => !s.expires_at || Date.parse(s.expires_at) > now.getTime()).map((s) => s.secret);
      }
      // First webhook of this merchant: make its secret (a concurrent sender may win; then read theirs).
      await this.write(entityId, [{ secret: newMerchantWebhookSecret(), created_at: now.toISOString() }], undefined);
    }
    throw new Error('could not read or create the webhook secret');
  }

  async rotate(entityId: string, now: Date, rotationId?: string): Promise<{ secret: string; previous_expires_at: string | null }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.read(entityId);
      const [newest, outgoing] = current?.secrets ?? [];
      // This rotation already happened (an attempt that died after it): answer it, end nothing more.
      if (rotationId !== undefined && newest?.rotation_id === rotationId) {
        return { secret: newest.secret, previous_expires_at: outgoing?.expires_at ?? null };
      }
      const live = (current?.secrets ?? []).filter((s) => !s.expires_at || Date.parse(s.expires_at) > now.getTime());
      const previous = live.find((s) => !s.expires_at);
      const previousExpires = previous ? new Date(now.getTime() + SECRET_ROTATION_GRACE_MS).toISOString() : null;
      const secret = newMerchantWebhookSecret();
      // Keep only the outgoing secret for its grace period; anything older stops signing now.
      const next: MerchantSecret[] = [
        { secret, created_at: now.toISOString(), ...(rotationId !== undefined ? { rotation_id: rotationId } : {}) },
        ...(previous && previousExpires ? [{ ...previous, expires_at: previousExpires }] : []),
      ];
      if (await this.write(entityId, next, current?.version)) return { secret, previous_expires_at: previousExpires };
    }
    throw new Error('could not rotate the webhook secret: too much contention');
  }

  /** Sets the current secret outright (sandbox seeding with PAYLINK_SANDBOX_WEBHOOK_SECRET). */
  async set(entityId: string, secret: string, now: Date): Promise<void> {
    const current = await this.read(entityId);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.webhookSecrets(entityId), secrets: [{ secret, created_at: now.toISOString() }], version: (current?.version ?? 0) + 1 },
      }),
    );
  }
}

/** Endpoints that answered 410 Gone, per merchant (MERCHANT#<entity> / ENDPOINT#<sha256 of the URL>). */
export class DynamoEndpointHealth implements EndpointHealth {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private key(entityId: string, url: string) {
    return { PK: `MERCHANT#${entityId}`, SK: `ENDPOINT#${createHash('sha256').update(url).digest('hex')}` };
  }

  async goneSince(entityId: string, url: string): Promise<string | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: this.key(entityId, url), ConsistentRead: true }));
    return typeof out.Item?.gone_since === 'string' ? out.Item.gone_since : undefined;
  }

  async markGone(entityId: string, url: string, at: Date): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...this.key(entityId, url), url, gone_since: at.toISOString() } }));
  }

  async clear(entityId: string, url: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(entityId, url) }));
  }
}
