/** The cold-start floor: a Lambda doing one DocumentClient PutItem (bench/bundle-sizes.ts builds it like ours). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async () => db.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: { PK: 'x', SK: 'y' } }));
