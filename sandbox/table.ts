/** The table as the CDK stack defines it (same keys and indexes, from TABLE_KEYS), for dynalite. */
import { CreateTableCommand, DescribeTableCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../shared/adapters/dynamodb.js';

export function createTableInput(tableName: string): CreateTableCommandInput {
  const indexes = [TABLE_KEYS.byEntity, TABLE_KEYS.byEntityStatus, TABLE_KEYS.byEntityOrder];
  const attributes = [TABLE_KEYS.partition, TABLE_KEYS.sort, ...indexes.flatMap((i) => [i.partition, i.sort])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE_KEYS.partition, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sort, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partition, KeyType: 'HASH' },
        { AttributeName: i.sort, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}

export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'ResourceNotFoundException') throw err;
  }
  await client.send(new CreateTableCommand(createTableInput(tableName)));
}
