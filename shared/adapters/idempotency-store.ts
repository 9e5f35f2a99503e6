/**
 * Idempotency records in the single table, expired by DynamoDB TTL (and by the conditions below).
 * A record in progress names its holder (the attempt working under it) and the end of its lease;
 * every change of a record is conditional on what the attempt read or holds.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock, IdempotencyClaim, IdempotencyStore, StoredResponse } from '../domain/ports.js';
import { TABLE_KEYS, isConditionalCheckFailed, keys } from './dynamodb.js';

const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** A new claim: the key is free, or its record expired (TTL deletion is lazy, and dynalite has none). */
export function newClaimRequest(tableName: string, key: string, claim: { hash: string; holder: string; requestId: string; leaseUntil: Date; expiresAt: Date; now: Date }) {
  return new PutCommand({
    TableName: tableName,
    Item: {
      ...keys.idempotency(key),
      state: 'in_progress',
      request_hash: claim.hash,
      holder: claim.holder,
      request_id: claim.requestId,
      lease_until_ms: claim.leaseUntil.getTime(),
      [TABLE_KEYS.ttl]: epochSeconds(claim.expiresAt),
    },
    ConditionExpression: 'attribute_not_exists(PK) OR #ttl < :now',
    ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttl },
    ExpressionAttributeValues: { ':now': epochSeconds(claim.now) },
  });
}

/**
 * A takeover: the same request, still in progress, its lease over (the attempt holding it died).
 * The request id stays, so the new attempt finds what the dead one wrote. Records from before
 * leases existed have none: they are taken over too, and get a request id.
 */
export function takeoverRequest(tableName: string, key: string, claim: { hash: string; holder: string; requestId: string; leaseUntil: Date; now: Date }) {
  return new UpdateCommand({
    TableName: tableName,
    Key: keys.idempotency(key),
    UpdateExpression: 'SET #holder = :holder, #lease = :lease, #rid = if_not_exists(#rid, :rid)',
    ConditionExpression: '#state = :in_progress AND #hash = :hash AND #ttl >= :now AND (attribute_not_exists(#lease) OR #lease < :now_ms)',
    ExpressionAttributeNames: { '#state': 'state', '#holder': 'holder', '#lease': 'lease_until_ms', '#rid': 'request_id', '#hash': 'request_hash', '#ttl': TABLE_KEYS.ttl },
    ExpressionAttributeValues: {
      ':holder': claim.holder,
      ':lease': claim.leaseUntil.getTime(),
      ':rid': claim.requestId,
      ':in_progress': 'in_progress',
      ':hash': claim.hash,
      ':now': epochSeconds(claim.now),
      ':now_ms': claim.now.getTime(),
    },
    ReturnValues: 'ALL_NEW',
  });
}

export function completeRequest(tableName: string, key: string, holder: string, response: StoredResponse, expiresAt: Date) {
  return new UpdateCommand({
    TableName: tableName,
    Key: keys.idempotency(key),
    UpdateExpression: 'SET #state = :completed, #response = :response, #ttl = :ttl REMOVE #holder, #lease',
    ConditionExpression: '#holder = :holder',
    ExpressionAttributeNames: { '#state': 'state', '#response': 'response', '#ttl': TABLE_KEYS.ttl, '#holder': 'holder', '#lease': 'lease_until_ms' },
    ExpressionAttributeValues: { ':completed': 'completed', ':response': response, ':ttl': epochSeconds(expiresAt), ':holder': holder },
  });
}

export function releaseRequest(tableName: string, key: string, holder: string) {
  return new DeleteCommand({
    TableName: tableName,
    Key: keys.idempotency(key),
    ConditionExpression: '#holder = :holder',
    ExpressionAttributeNames: { '#holder': 'holder' },
    ExpressionAttributeValues: { ':holder': holder },
  });
}

export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async claim(key: string, requestHash: string, times: { leaseUntil: Date; expiresAt: Date }): Promise<IdempotencyClaim> {
    const claim = { ...times, hash: requestHash, holder: randomUUID(), requestId: randomUUID(), now: this.clock.now() };
    if (await this.conditionally(() => this.db.send(newClaimRequest(this.tableName, key, claim)))) {
      return { state: 'claimed', holder: claim.holder, request_id: claim.requestId, resumed: false };
    }
    // Taken: read it first (a replay, the common case, needs nothing else), and try a takeover only
    // when the holder's lease is over.
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.idempotency(key), ConsistentRead: true }));
    const item = out.Item;
    if (!item) return this.claim(key, requestHash, times); // released in between: try again
    if (item.state === 'completed') {
      return { state: 'completed', request_hash: String(item.request_hash), response: item.response as StoredResponse };
    }
    const leaseOver = typeof item.lease_until_ms !== 'number' || item.lease_until_ms < claim.now.getTime();
    if (leaseOver && item.request_hash === requestHash) {
      try {
        const taken = await this.db.send(takeoverRequest(this.tableName, key, claim));
        return { state: 'claimed', holder: claim.holder, request_id: String(taken.Attributes?.request_id), resumed: true };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        return this.claim(key, requestHash, times); // another retry took it, or it ended: read again
      }
    }
    return { state: 'in_progress', request_hash: String(item.request_hash) };
  }

  /** A response from an attempt whose claim was taken over is dropped: the attempt holding it records its own. */
  async complete(key: string, holder: string, response: StoredResponse, expiresAt: Date): Promise<void> {
    await this.conditionally(() => this.db.send(completeRequest(this.tableName, key, holder, response, expiresAt)));
  }

  async release(key: string, holder: string): Promise<void> {
    await this.conditionally(() => this.db.send(releaseRequest(this.tableName, key, holder)));
  }

  /** Runs a conditional write: false when its condition did not hold. */
  private async conditionally(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }
}
