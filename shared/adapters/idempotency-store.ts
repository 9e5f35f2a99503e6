/** Idempotency records in the single table, expired by DynamoDB TTL (and by the condition below). */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock, IdempotencyClaim, IdempotencyStore, StoredResponse } from '../domain/ports.js';
import { TABLE_KEYS, isConditionalCheckFailed, keys } from './dynamodb.js';

const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async claim(key: string, requestHash: string, expiresAt: Date): Promise<IdempotencyClaim> {
    try {
      // TTL deletion is lazy (and dynalite has none), so an expired record counts as absent.
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.idempotency(key), state: 'in_progress', request_hash: requestHash, [TABLE_KEYS.ttl]: epochSeconds(expiresAt) },
          ConditionExpression: 'attribute_not_exists(PK) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttl },
          ExpressionAttributeValues: { ':now': epochSeconds(this.clock.now()) },
        }),
      );
      return { state: 'claimed' };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.idempotency(key), ConsistentRead: true }));
    const item = out.Item;
    if (!item) return this.claim(key, requestHash, expiresAt); // released in between: try again
    if (item.state === 'completed') {
      return { state: 'completed', request_hash: String(item.request_hash), response: item.response as StoredResponse };
    }
    return { state: 'in_progress', request_hash: String(item.request_hash) };
  }

  async complete(key: string, response: StoredResponse, expiresAt: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.idempotency(key),
        UpdateExpression: 'SET #state = :completed, #response = :response, #ttl = :ttl',
        ExpressionAttributeNames: { '#state': 'state', '#response': 'response', '#ttl': TABLE_KEYS.ttl },
        ExpressionAttributeValues: { ':completed': 'completed', ':response': response, ':ttl': epochSeconds(expiresAt) },
      }),
    );
  }

  async release(key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.idempotency(key) }));
  }
}
