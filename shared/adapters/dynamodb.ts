/**
 * The single table (see infra/constructs/data.ts for the key schema and why). Item keys are built
 * here, in pure functions, so tests and the stack read the same names.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

export const TABLE_KEYS = {
  partition: 'PK',
  sort: 'SK',
  /** All of a merchant's links, newest first. */
  byEntity: { name: 'by-entity', partition: 'GSI1PK', sort: 'GSI1SK' },
  /** A merchant's links in one status, newest first. */
  byEntityStatus: { name: 'by-entity-status', partition: 'GSI2PK', sort: 'GSI2SK' },
  /** A merchant's links for one order reference, newest first. */
  byEntityOrder: { name: 'by-entity-order', partition: 'GSI3PK', sort: 'GSI3SK' },
  /** Epoch seconds; DynamoDB TTL deletes the item some time after (idempotency records, throttle windows). */
  ttl: 'ttl',
} as const;

export const keys = {
  link: (id: string) => ({ PK: `LINK#${id}`, SK: 'LINK' }),
  merchant: (entityId: string) => ({ PK: `MERCHANT#${entityId}`, SK: 'PROFILE' }),
  client: (clientId: string) => ({ PK: `CLIENT#${clientId}`, SK: 'CLIENT' }),
  apiKey: (digest: string) => ({ PK: `APIKEY#${digest}`, SK: 'APIKEY' }),
  idempotency: (scopedKey: string) => ({ PK: `IDEMPOTENCY#${scopedKey}`, SK: 'IDEMPOTENCY' }),
  /** A webhook delivery lives in its link's partition, so the delivery log is one strongly consistent Query. */
  delivery: (linkId: string, eventId: string) => ({ PK: `LINK#${linkId}`, SK: `DELIVERY#${eventId}` }),
  /** Finds a delivery's link from its event id alone (the replay API gets only the event id). */
  webhookEvent: (eventId: string) => ({ PK: `WEBHOOK_EVENT#${eventId}`, SK: 'EVENT' }),
  webhookSecrets: (entityId: string) => ({ PK: `MERCHANT#${entityId}`, SK: 'WEBHOOK_SECRETS' }),
  /** Failed client authentications of one client id (its hash) in one throttle window (its start, epoch seconds). */
  clientThrottle: (clientKey: string, windowStartSeconds: number) => ({ PK: `CLIENT_THROTTLE#${clientKey}`, SK: `WINDOW#${windowStartSeconds}` }),
} as const;

/** DynamoDB's key limits: partition key values up to 2,048 bytes, sort key values up to 1,024. */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

/**
 * Whether a key built from caller input can exist at all. A longer one would make DynamoDB answer a
 * ValidationException (a 500 to the caller); no item can have it, so lookups answer "not found".
 */
export function keyFits(key: { PK: string; SK: string }): boolean {
  return Buffer.byteLength(key.PK, 'utf8') <= MAX_PARTITION_KEY_BYTES && Buffer.byteLength(key.SK, 'utf8') <= MAX_SORT_KEY_BYTES;
}

export function makeDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/** Every item of one partition whose sort key starts with `prefix` (all pages). */
export async function queryByPrefix(
  db: DynamoDBDocumentClient,
  tableName: string,
  partition: string,
  prefix: string,
  options: { consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix },
        ...(options.consistent ? { ConsistentRead: true } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
