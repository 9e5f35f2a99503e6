/**
 * Failed client authentications in the single table: one item per client key and throttle window,
 * an atomic counter taken under a condition (never past the limit, however many Lambdas race) and
 * expired by DynamoDB TTL a while after its window. Stream records of these items are filtered out
 * before the dispatcher (their sort key is not LINK).
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientThrottle, ThrottleWindow } from '../domain/ports.js';
import { TABLE_KEYS, isConditionalCheckFailed, keys } from './dynamodb.js';

const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** How long a window's item outlives the window (TTL deletion is lazy anyway). */
const KEEP_AFTER_WINDOW_SECONDS = 3600;

/** Counts one attempt unless `limit` are counted: the item is created on the window's first attempt. */
export function takeAttemptRequest(tableName: string, key: string, window: ThrottleWindow, limit: number) {
  return new UpdateCommand({
    TableName: tableName,
    Key: keys.clientThrottle(key, epochSeconds(window.start)),
    UpdateExpression: 'ADD #attempts :one SET #ttl = :ttl',
    ConditionExpression: 'attribute_not_exists(#attempts) OR #attempts < :limit',
    ExpressionAttributeNames: { '#attempts': 'attempts', '#ttl': TABLE_KEYS.ttl },
    ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': epochSeconds(window.end) + KEEP_AFTER_WINDOW_SECONDS },
  });
}

/** Un-counts an attempt, never below zero (a window whose item expired has nothing to give back). */
export function giveBackAttemptRequest(tableName: string, key: string, window: ThrottleWindow) {
  return new UpdateCommand({
    TableName: tableName,
    Key: keys.clientThrottle(key, epochSeconds(window.start)),
    UpdateExpression: 'ADD #attempts :minus_one',
    ConditionExpression: '#attempts > :zero',
    ExpressionAttributeNames: { '#attempts': 'attempts' },
    ExpressionAttributeValues: { ':minus_one': -1, ':zero': 0 },
  });
}

export class DynamoClientThrottle implements ClientThrottle {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async take(key: string, window: ThrottleWindow, limit: number): Promise<boolean> {
    try {
      await this.db.send(takeAttemptRequest(this.tableName, key, window, limit));
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async giveBack(key: string, window: ThrottleWindow): Promise<void> {
    try {
      await this.db.send(giveBackAttemptRequest(this.tableName, key, window));
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
  }
}
