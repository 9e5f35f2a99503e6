/**
 * The sandbox's table: dynalite (on disk or in memory) with the table created, and in front of it
 * the proxy that emulates the table's stream (NEW_AND_OLD_IMAGES, emitted after each successful write).
 * Given the stream's journal, the records a crash left undelivered are emitted again first.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import dynalite from 'dynalite';
import type { StreamJournal } from './stream-journal.js';
import { startStreamProxy, streamRecord } from './stream-proxy.js';
import { ensureTable } from './table.js';

export const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

export interface SandboxDynamo {
  /** Straight to dynalite: no stream records (scans, seeding of what is not a link). */
  direct: DynamoDBClient;
  /** Through the stream emulation: what the functions use. */
  db: DynamoDBDocumentClient;
  /** Stream records from the last run emitted again (undelivered, or of a write cut short by a crash). */
  redelivered: number;
  close(): Promise<void>;
}

export async function startDynamo(options: {
  dataDir?: string | undefined;
  tableName: string;
  emit: (record: DynamoDBRecord) => void;
  journal?: StreamJournal | undefined;
}): Promise<SandboxDynamo> {
  const dynamo = dynalite({
    ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', () => resolve()));
  const port = (dynamo.address() as AddressInfo).port;
  const direct = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: REGION, credentials: CREDENTIALS });
  await ensureTable(direct, options.tableName);
  const where = { region: REGION, tableName: options.tableName };
  const again =
    (await options.journal?.recover(
      async (key) => (await direct.send(new GetItemCommand({ TableName: options.tableName, Key: key, ConsistentRead: true }))).Item,
      (sequence, key, before, after) => streamRecord({ sequence, key, before, after, sizeBytes: 0 }, where),
    )) ?? [];
  for (const record of again) options.emit(record);
  const proxy = await startStreamProxy({
    target: { host: '127.0.0.1', port },
    direct,
    tableName: options.tableName,
    region: REGION,
    emit: options.emit,
    ...(options.journal ? { journal: options.journal } : {}),
  });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: proxy.endpoint, region: REGION, credentials: CREDENTIALS }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    direct,
    db,
    redelivered: again.length,
    close: async () => {
      await proxy.close();
      direct.destroy();
      db.destroy();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}
