import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBRecord } from 'aws-lambda';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamo, type SandboxDynamo } from '../../sandbox/dynamo.js';
import { JournaledEventBus } from '../../sandbox/journaled-event-bus.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { StreamDelivery } from '../../sandbox/stream-delivery.js';
import { StreamJournal } from '../../sandbox/stream-journal.js';
import type { BusEvent } from '../../shared/domain/ports.js';
import { createLogger } from '../../shared/logger.js';
import { call, merchantSession, testSandbox, type MerchantSession } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';

const PATH = '/payment/v2/payment-links';
let sb: Sandbox;
let m1: MerchantSession;

beforeAll(async () => {
  sb = await testSandbox();
  m1 = await merchantSession(sb.url);
});
afterAll(async () => {
  await sb.stop();
});

type SandboxEvents = { events: Array<{ source: string; 'detail-type': string; detail: Record<string, unknown>; time: string }> };

describe('table stream → dispatcher → event bus', () => {
  it('publishes Payment Link Status Changed for creation and cancellation, once each', async () => {
    const created = await m1.post(PATH, createLinkBody());
    const id = String(created.body.id);
    await m1.post(`${PATH}/${id}/cancel`);
    await m1.post(`${PATH}/${id}/cancel`); // idempotent: no write, no event
    await sb.stream.drain();
    const r = await call<SandboxEvents>(sb.url, 'GET', '/sandbox/events');
    const mine = r.body.events.filter((e) => e.detail.payment_link_id === id);
    expect(mine.map((e) => [e.source, e['detail-type'], e.detail.status, e.detail.previous_status, e.detail.version])).toEqual([
      ['paylink', 'Payment Link Status Changed', 'CREATED', null, 1],
      ['paylink', 'Payment Link Status Changed', 'CANCELLED', 'CREATED', 2],
    ]);
    expect(mine[1]!.detail).toEqual({
      event_id: `${id}:2:link-status`,
      payment_link_id: id,
      entity_id: 'demo-entity',
      status: 'CANCELLED',
      previous_status: 'CREATED',
      version: 2,
    });
    expect(Date.parse(mine[0]!.time)).not.toBeNaN();
  });

  it('emits stream records with old and new images for writes to any item, and none for failed conditions', async () => {
    const records: DynamoDBRecord[] = [];
    const original = sb.stream.push.bind(sb.stream);
    sb.stream.push = (r) => {
      records.push(r);
      original(r);
    };
    try {
      const key = { PK: 'TEST#1', SK: 'TEST' };
      await sb.db.send(new PutCommand({ TableName: sb.tableName, Item: { ...key, n: 1 } }));
      await sb.db.send(new PutCommand({ TableName: sb.tableName, Item: { ...key, n: 2 } }));
      await expect(
        sb.db.send(new PutCommand({ TableName: sb.tableName, Item: { ...key, n: 3 }, ConditionExpression: 'attribute_not_exists(PK)' })),
      ).rejects.toThrow();
      await sb.db.send(new DeleteCommand({ TableName: sb.tableName, Key: key }));
    } finally {
      sb.stream.push = original;
    }
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(records[1]!.dynamodb).toMatchObject({ OldImage: { n: { N: '1' } }, NewImage: { n: { N: '2' } }, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(records[2]!.dynamodb?.NewImage).toBeUndefined();
    const seq = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
    expect(seq[0]! < seq[1]! && seq[1]! < seq[2]!).toBe(true);
  });

  it('never publishes events for non-link items (merchants, idempotency records)', async () => {
    const before = sb.bus.events.length;
    await m1.post(PATH, createLinkBody({ order: { reference: 'idem-evt' } }), { 'idempotency-key': 'evt-1' });
    await sb.stream.drain();
    const added = sb.bus.events.slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]!['detail-type']).toBe('Payment Link Status Changed');
  });
});

describe('stream delivery (event source mapping behaviour)', () => {
  const record = (n: number): DynamoDBRecord => ({ eventID: String(n), dynamodb: { SequenceNumber: String(n).padStart(5, '0') } });

  it('retries from the first failed record, in order, and keeps going', async () => {
    const delivered: string[] = [];
    let failures = 1;
    const delivery = new StreamDelivery(
      async (event) => {
        for (const r of event.Records) {
          if (r.eventID === '2' && failures-- > 0) return { batchItemFailures: [{ itemIdentifier: r.dynamodb!.SequenceNumber! }] };
          delivered.push(r.eventID!);
        }
        return { batchItemFailures: [] };
      },
      createLogger({ level: 'error', write: () => undefined }),
      { batchSize: 10, maxAttempts: 3, retryDelayMs: 1 },
    );
    [1, 2, 3].forEach((n) => delivery.push(record(n)));
    await delivery.drain();
    expect(delivered).toEqual(['1', '2', '3']);
    expect(delivery.deadLetters).toEqual([]);
  });

  it('dead-letters a record that keeps failing, then delivers the rest', async () => {
    const delivered: string[] = [];
    const delivery = new StreamDelivery(
      async (event) => {
        for (const r of event.Records) {
          if (r.eventID === '2') throw new Error('poison');
          delivered.push(r.eventID!);
        }
        return { batchItemFailures: [] };
      },
      createLogger({ level: 'error', write: () => undefined }),
      { batchSize: 1, maxAttempts: 3, retryDelayMs: 1 },
    );
    [1, 2, 3].forEach((n) => delivery.push(record(n)));
    await delivery.drain();
    expect(delivered).toEqual(['1', '3']);
    expect(delivery.deadLetters.map((r) => r.eventID)).toEqual(['2']);
  });
});

describe('with a journal, the stream and the bus survive a crash of the process (issue 9, item 10)', () => {
  const TABLE = 'journal-test';
  let dir: string;
  let journal: StreamJournal;
  let dynamo: SandboxDynamo;
  let emitted: DynamoDBRecord[];
  const path = () => join(dir, 'journal', 'stream.jsonl');
  const start = async () => {
    emitted = [];
    journal = StreamJournal.open(path());
    dynamo = await startDynamo({ dataDir: dir, tableName: TABLE, emit: (r) => emitted.push(r), journal });
  };
  /** What a kill -9 leaves: dynalite's files and the journal as written so far. */
  const crash = async () => {
    await dynamo.close();
    journal.close();
  };
  const put = (pk: string, n: number) => dynamo.db.send(new PutCommand({ TableName: TABLE, Item: { PK: pk, SK: 'TEST', n } }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paylink-stream-journal-'));
    await start();
  });
  afterAll(async () => {
    await crash();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers again, in order and under their sequence numbers, the records the dispatcher had not handled, and only those', async () => {
    for (const n of [1, 2, 3, 4]) await put(`ITEM#${n}`, n);
    const before = emitted;
    expect(before.map((r) => r.eventName)).toEqual(['INSERT', 'INSERT', 'INSERT', 'INSERT']);
    journal.handled(before[0]!, false);
    journal.handled(before[1]!, true); // given up on: a dead letter

    await crash();
    await start();
    expect(emitted).toEqual(before.slice(2));
    expect(dynamo.redelivered).toBe(2);
    expect(journal.deadLetters).toEqual([before[1]]);
    // Numbering goes on after the last record, never reusing one.
    await put('ITEM#5', 5);
    expect(BigInt(emitted.at(-1)!.dynamodb!.SequenceNumber!)).toBeGreaterThan(BigInt(before.at(-1)!.dynamodb!.SequenceNumber!));
    journal.handled(emitted.at(-1)!, false);
  });

  it('makes the record of a write that reached the table but not the journal, from the item as it was before; none for a write that never arrived', async () => {
    await put('CUT#1', 1);
    journal.handled(emitted.at(-1)!, false);
    const key = { PK: { S: 'CUT#1' }, SK: { S: 'TEST' } };
    const old = (await dynamo.direct.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item;
    // The proxy's first step for two writes, then the crash: one had reached dynalite, the other not.
    journal.writing(key, old);
    await dynamo.direct.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, n: { N: '2' } } }));
    journal.writing({ PK: { S: 'CUT#2' }, SK: { S: 'TEST' } }, undefined);

    await crash();
    await start();
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({
      eventName: 'MODIFY',
      dynamodb: { Keys: key, OldImage: { n: { N: '1' } }, NewImage: { n: { N: '2' } }, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    journal.handled(emitted[0]!, false);
    await crash();
    await start();
    expect(emitted).toEqual([]);
  });

  it('lists the bus events published before the crash again', async () => {
    const bus = JournaledEventBus.open(join(dir, 'journal', 'events.jsonl'));
    const event: BusEvent = { id: 'evt-1', source: 'paylink', 'detail-type': 'Test', detail: { n: 1 }, time: new Date(0).toISOString() };
    await bus.publish([event]);
    bus.close();
    const again = JournaledEventBus.open(join(dir, 'journal', 'events.jsonl'));
    expect(again.events).toEqual([event]);
    again.close();
  });
});
