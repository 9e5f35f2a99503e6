/**
 * DynamoDB Streams for dynalite, which has none. The sandbox's SDK clients talk to this proxy
 * instead of dynalite directly; after every successful PutItem, UpdateItem or DeleteItem it emits
 * the stream record DynamoDB would (NEW_AND_OLD_IMAGES). Writes to one item are serialised around
 * the before/after reads so the images are exactly those of that write. With a journal
 * (stream-journal.ts) the write is on file before dynalite gets it and its record before the
 * writer is answered, so a crash loses no record.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { TABLE_KEYS } from '../shared/adapters/dynamodb.js';
import { closeServer } from './close-server.js';
import type { Item, StreamJournal } from './stream-journal.js';

const WRITE_OPS = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

export interface StreamProxy {
  endpoint: string;
  close(): Promise<void>;
}

/** The stream record DynamoDB writes for a change of the item at `key` (NEW_AND_OLD_IMAGES). */
export function streamRecord(
  change: { sequence: bigint; key: Item; before: Item | undefined; after: Item | undefined; sizeBytes: number },
  where: { region: string; tableName: string },
): DynamoDBRecord {
  const { sequence, key, before, after } = change;
  return {
    eventID: `${sequence}`,
    eventName: !before ? 'INSERT' : !after ? 'REMOVE' : 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: where.region,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: key as never,
      ...(after ? { NewImage: after as never } : {}),
      ...(before ? { OldImage: before as never } : {}),
      SequenceNumber: sequence.toString().padStart(21, '0'),
      SizeBytes: change.sizeBytes,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: `arn:aws:dynamodb:${where.region}:000000000000:table/${where.tableName}/stream/sandbox`,
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startStreamProxy(options: {
  target: { host: string; port: number };
  /** A client that talks to dynalite directly (not through this proxy), for the image reads. */
  direct: DynamoDBClient;
  tableName: string;
  region: string;
  emit: (record: DynamoDBRecord) => void;
  /** Keeps every write's record through a crash; its last sequence number is where numbering resumes. */
  journal?: StreamJournal;
}): Promise<StreamProxy> {
  const locks = new Map<string, Promise<void>>();
  const journal = options.journal;
  let sequence = journal?.lastSequence ?? 0n;

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const out = httpRequest(
        { host: options.target.host, port: options.target.port, method: req.method, path: req.url, headers: req.headers },
        (res) => {
          readBody(res).then((b) => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: b }), reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const image = async (key: Record<string, AttributeValue>) =>
    (await options.direct.send(new GetItemCommand({ TableName: options.tableName, Key: key, ConsistentRead: true }))).Item;

  async function withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((r) => (release = r));
    const chained = previous.then(() => current);
    locks.set(id, chained);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (locks.get(id) === chained) locks.delete(id);
    }
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let input: { TableName?: string; Key?: Record<string, AttributeValue>; Item?: Record<string, AttributeValue> } = {};
      if (WRITE_OPS.has(op)) {
        try {
          input = JSON.parse(body.toString('utf8'));
        } catch {
          input = {};
        }
      }
      const source = input.Key ?? input.Item;
      const pk = source?.[TABLE_KEYS.partition];
      const sk = source?.[TABLE_KEYS.sort];
      if (!WRITE_OPS.has(op) || input.TableName !== options.tableName || !pk || !sk) {
        const r = await forward(req, body);
        res.writeHead(r.status, r.headers).end(r.body);
        return;
      }
      const key = { [TABLE_KEYS.partition]: pk, [TABLE_KEYS.sort]: sk };
      const r = await withLock(JSON.stringify(key), async () => {
        const before = await image(key);
        const write = journal?.writing(key, before);
        const result = await forward(req, body);
        const after = result.status === 200 ? await image(key) : undefined;
        if (result.status === 200 && (before || after)) {
          sequence += 1n;
          const record = streamRecord({ sequence, key, before, after, sizeBytes: body.length }, { region: options.region, tableName: options.tableName });
          if (write !== undefined) journal!.committed(write, record);
          options.emit(record);
        } else if (write !== undefined) {
          journal!.unchanged(write);
        }
        return result;
      });
      res.writeHead(r.status, r.headers).end(r.body);
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(err) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      closeServer(server),
  };
}
