/**
 * Each merchant's suppression list in the single table: MERCHANT#<entity> / SUPPRESSED#<sha256 of
 * the trimmed, lower-cased address>.
 *
 * The address itself is stored too (with the reason and when): support must be able to list what
 * is suppressed and lift a suppression, and a hash alone cannot be listed. Hashing it would protect
 * nothing anyway, since every link item already holds customer.email; the table is encrypted at
 * rest. The key is hashed so that addresses stay out of key attributes (which appear in metrics and
 * error messages) and so that case variants of one address are one item.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryByPrefix } from './dynamodb.js';
import type { SuppressionList } from '../domain/ports.js';

export interface SuppressedAddress {
  address: string;
  reason: string;
  /** The latest bounce or complaint. */
  suppressed_at: string;
  first_suppressed_at: string;
}

export function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}

export function suppressionKey(entityId: string, address: string): { PK: string; SK: string } {
  return { PK: `MERCHANT#${entityId}`, SK: `SUPPRESSED#${createHash('sha256').update(normaliseAddress(address)).digest('hex')}` };
}

export class DynamoSuppressionList implements SuppressionList {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async isSuppressed(entityId: string, address: string): Promise<boolean> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: suppressionKey(entityId, address), ConsistentRead: true, ProjectionExpression: 'PK' }),
    );
    return out.Item !== undefined;
  }

  /** Idempotent: a redelivered or repeated bounce only moves suppressed_at and the reason. */
  async suppress(entityId: string, address: string, reason: string, at: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: suppressionKey(entityId, address),
        UpdateExpression: 'SET #address = :address, #reason = :reason, #at = :at, #first = if_not_exists(#first, :at)',
        ExpressionAttributeNames: { '#address': 'address', '#reason': 'reason', '#at': 'suppressed_at', '#first': 'first_suppressed_at' },
        ExpressionAttributeValues: { ':address': normaliseAddress(address), ':reason': reason, ':at': at.toISOString() },
      }),
    );
  }

  /** For support: everything suppressed for a merchant. */
  async list(entityId: string): Promise<SuppressedAddress[]> {
    const items = await queryByPrefix(this.db, this.tableName, `MERCHANT#${entityId}`, 'SUPPRESSED#');
    return items
      .map((i) => ({
        address: String(i.address),
        reason: String(i.reason),
        suppressed_at: String(i.suppressed_at),
        first_suppressed_at: String(i.first_suppressed_at),
      }))
      .sort((a, b) => a.address.localeCompare(b.address));
  }

  /** For support: lift a suppression (the customer fixed their mailbox). */
  async remove(entityId: string, address: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: suppressionKey(entityId, address) }));
  }
}
