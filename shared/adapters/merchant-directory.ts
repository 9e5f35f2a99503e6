/** Merchants, their OAuth clients and API keys, in the single table. Secrets are stored hashed. */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientCredential, Merchant, MerchantDirectory } from '../domain/ports.js';
import { apiKeyDigest, hashSecret } from '../domain/auth/secret-hash.js';
import { keyFits, keys } from './dynamodb.js';

export interface MerchantRegistration {
  merchant: Merchant;
  client_id: string;
  client_secret: string;
  api_key: string;
}

export class DynamoMerchantDirectory implements MerchantDirectory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async item(key: { PK: string; SK: string }): Promise<Record<string, unknown> | undefined> {
    if (!keyFits(key)) return undefined;
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key }));
    return out.Item;
  }

  async getMerchant(entityId: string): Promise<Merchant | undefined> {
    const item = await this.item(keys.merchant(entityId));
    if (!item) return undefined;
    return {
      entity_id: String(item.entity_id),
      display_name: String(item.display_name),
      default_expiry_minutes: Number(item.default_expiry_minutes),
      ...(typeof item.default_webhook_url === 'string' ? { default_webhook_url: item.default_webhook_url } : {}),
      ...(item.reminder_policy ? { reminder_policy: item.reminder_policy as Merchant['reminder_policy'] } : {}),
      active: item.active === true,
    };
  }

  async getClient(clientId: string): Promise<ClientCredential | undefined> {
    const item = await this.item(keys.client(clientId));
    if (!item) return undefined;
    return { client_id: clientId, entity_id: String(item.entity_id), secret_hash: String(item.secret_hash) };
  }

  async entityForApiKey(digest: string): Promise<string | undefined> {
    const item = await this.item(keys.apiKey(digest));
    return item ? String(item.entity_id) : undefined;
  }

  /** Registers (or re-registers) a merchant with one client and one API key. Used by seeding and ops. */
  async register(reg: MerchantRegistration): Promise<void> {
    const put = (Item: Record<string, unknown>) => this.db.send(new PutCommand({ TableName: this.tableName, Item }));
    await put({ ...keys.merchant(reg.merchant.entity_id), ...reg.merchant });
    await put({ ...keys.client(reg.client_id), entity_id: reg.merchant.entity_id, secret_hash: hashSecret(reg.client_secret) });
    await put({ ...keys.apiKey(apiKeyDigest(reg.api_key)), entity_id: reg.merchant.entity_id });
  }
}
