/**
 * LinkStore on DynamoDB. Every write is a single-item conditional Put (no transactions: dynalite
 * has none, and one item per link makes them unnecessary): create requires the id to be new,
 * update requires the stored version to be the one read.
 */
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ValidationError, VersionConflictError } from '../domain/errors.js';
import type { PaymentLink } from '../domain/link/model.js';
import type { LinkFilter, LinkStore, Page } from '../domain/ports.js';
import { TABLE_KEYS, isConditionalCheckFailed, keyFits, keys } from './dynamodb.js';

type Index = (typeof TABLE_KEYS)['byEntity' | 'byEntityStatus' | 'byEntityOrder'];

/** The item for a link: the link itself plus its table and index keys. Pure, for tests to read. */
export function linkItem(link: PaymentLink): Record<string, unknown> {
  const sortKey = `${link.created_at}#${link.id}`;
  return {
    ...link,
    ...keys.link(link.id),
    GSI1PK: `ENTITY#${link.entity_id}`,
    GSI1SK: sortKey,
    GSI2PK: `ENTITY#${link.entity_id}#STATUS#${link.status}`,
    GSI2SK: sortKey,
    GSI3PK: `ENTITY#${link.entity_id}#ORDER#${link.order.reference}`,
    GSI3SK: sortKey,
  };
}

const KEY_ATTRIBUTES = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'GSI3PK', 'GSI3SK'];

export function linkFromItem(item: Record<string, unknown>): PaymentLink {
  const link = { ...item };
  for (const k of KEY_ATTRIBUTES) delete link[k];
  return link as unknown as PaymentLink;
}

/** The query a list request runs, as a pure function of its inputs. */
export function listQuery(entityId: string, filter: LinkFilter): { index: Index; partitionValue: string; statusFilter?: string } {
  if (filter.order_reference !== undefined) {
    return {
      index: TABLE_KEYS.byEntityOrder,
      partitionValue: `ENTITY#${entityId}#ORDER#${filter.order_reference}`,
      ...(filter.status ? { statusFilter: filter.status } : {}),
    };
  }
  if (filter.status) return { index: TABLE_KEYS.byEntityStatus, partitionValue: `ENTITY#${entityId}#STATUS#${filter.status}` };
  return { index: TABLE_KEYS.byEntity, partitionValue: `ENTITY#${entityId}` };
}

const invalidCursor = () => ValidationError.field('/cursor', 'is not a cursor returned by this list');

export function encodeCursor(lastKey: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

/**
 * A cursor is the last evaluated key of the index it came from. It is only accepted for the same
 * index and partition, so a cursor can neither reach another merchant's links nor make DynamoDB
 * reject the query (which would be a 500).
 */
export function decodeCursor(cursor: string, index: Index, partitionValue: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidCursor();
  const record = parsed as Record<string, unknown>;
  const expected = ['PK', 'SK', index.partition, index.sort].sort();
  const actual = Object.keys(record).sort();
  if (actual.length !== expected.length || actual.some((k, i) => k !== expected[i])) throw invalidCursor();
  if (!actual.every((k) => typeof record[k] === 'string' && (record[k] as string).length > 0)) throw invalidCursor();
  if (record[index.partition] !== partitionValue) throw invalidCursor();
  return record as Record<string, string>;
}

/** With a status filter on the order index, DynamoDB may return short pages; we read on a little. */
const MAX_QUERY_ROUNDS = 10;

export class DynamoLinkStore implements LinkStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(link: PaymentLink): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: linkItem(link),
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  }

  async get(id: string): Promise<PaymentLink | undefined> {
    if (!keyFits(keys.link(id))) return undefined;
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.link(id), ConsistentRead: true }));
    return out.Item ? linkFromItem(out.Item) : undefined;
  }

  async update(link: PaymentLink, expectedVersion: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: linkItem(link),
          ConditionExpression: 'attribute_exists(PK) AND #version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) {
        throw new VersionConflictError(`payment link ${link.id} changed since version ${expectedVersion}`);
      }
      throw err;
    }
  }

  async list(entityId: string, filter: LinkFilter, limit: number, cursor?: string): Promise<Page<PaymentLink>> {
    const { index, partitionValue, statusFilter } = listQuery(entityId, filter);
    let startKey: Record<string, unknown> | undefined = cursor ? decodeCursor(cursor, index, partitionValue) : undefined;
    // Ask for one item more than the page so that next_cursor is null exactly when nothing follows.
    const raw: Record<string, unknown>[] = [];
    for (let round = 0; round < MAX_QUERY_ROUNDS; round++) {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.partition, ...(statusFilter ? { '#status': 'status' } : {}) },
          ExpressionAttributeValues: { ':pk': partitionValue, ...(statusFilter ? { ':status': statusFilter } : {}) },
          ...(statusFilter ? { FilterExpression: '#status = :status' } : {}),
          ScanIndexForward: false,
          Limit: limit + 1 - raw.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      raw.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
      if (!startKey || raw.length > limit) break;
    }
    if (raw.length > limit) {
      const last = raw[limit - 1] as Record<string, unknown>;
      const lastKey = Object.fromEntries(['PK', 'SK', index.partition, index.sort].map((k) => [k, last[k]]));
      return { items: raw.slice(0, limit).map(linkFromItem), next_cursor: encodeCursor(lastKey) };
    }
    return { items: raw.map(linkFromItem), next_cursor: startKey ? encodeCursor(startKey) : null };
  }
}
