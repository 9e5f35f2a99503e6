/**
 * The inbound-webhook queue on real local-aws-sqs: the SQS adapter, and the poller that stands in
 * for the Lambda event source mapping (batches, partial failures, visibility timeout, DLQ).
 * Short timeouts keep it quick: local-aws-sqs takes fractions of a second where AWS would not.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqsPoller, failedMessageIds, toSqsRecord, type SqsPollerOptions } from '../../sandbox/sqs-poller.js';
import { peekMessages, startSqs, type SandboxSqs } from '../../sandbox/sqs.js';
import { SqsQueue, sendMessageInput } from '../../shared/adapters/sqs-queue.js';
import type { ProviderEventMessage } from '../../shared/domain/ports.js';
import { createLogger } from '../../shared/logger.js';
import { waitFor } from '../support/wait.js';

const quiet = createLogger({ level: 'error', write: () => undefined });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Delivery {
  at: number;
  batch: number;
  record: SQSRecord;
}

/** A handler that records every record it sees and fails the ones `fail` picks (by body and attempt). */
function recordingHandler(fail: (body: string, attempt: number) => boolean = () => false) {
  const deliveries: Delivery[] = [];
  const batches: SQSEvent[] = [];
  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    batches.push(event);
    const at = Date.now();
    const failures = event.Records.filter((record) => {
      deliveries.push({ at, batch: batches.length, record });
      const attempt = deliveries.filter((d) => d.record.body === record.body).length;
      return fail(record.body, attempt);
    });
    return { batchItemFailures: failures.map((r) => ({ itemIdentifier: r.messageId })) };
  };
  const of = (body: string) => deliveries.filter((d) => d.record.body === body);
  return { handler, deliveries, batches, of };
}

async function sendBodies(sqs: SandboxSqs, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
  }
}

let sqs: SandboxSqs;
let pollers: SqsPoller[] = [];

function poller(options: Omit<SqsPollerOptions, 'client' | 'queueUrl'>): SqsPoller {
  const p = new SqsPoller({ client: sqs.client, queueUrl: sqs.queueUrl, logger: quiet, waitTimeSeconds: 0.1, visibilityTimeoutSeconds: 0.3, ...options });
  pollers.push(p);
  return p;
}

beforeEach(async () => {
  sqs = await startSqs();
});
afterEach(async () => {
  for (const p of pollers) await p.stop();
  pollers = [];
  await sqs.close();
});

describe('SqsQueue', () => {
  const message: ProviderEventMessage = {
    provider: 'sandbox',
    raw_body: '{"id":"evt_1","amount":1000,"note":"caf\u00e9 \\"quoted\\" \u{1F4B3}"}\n',
    received_at: '2026-01-15T10:00:00.000Z',
  };

  it('builds a SendMessage input whose body is the JSON of the message', () => {
    const input = sendMessageInput('http://queue/url', message);
    expect(input).toEqual({ QueueUrl: 'http://queue/url', MessageBody: JSON.stringify(message) });
    expect(JSON.parse(input.MessageBody!)).toEqual(message);
  });

  it('clamps a delay to what SQS accepts (0 to 900 seconds), and sends none unless asked', () => {
    expect(sendMessageInput('q', message, 1.2).DelaySeconds).toBe(2);
    expect(sendMessageInput('q', message, 3600).DelaySeconds).toBe(900);
    expect(sendMessageInput('q', message, -5).DelaySeconds).toBe(0);
    expect(sendMessageInput('q', message)).not.toHaveProperty('DelaySeconds');
  });

  it('sends a message that the poller delivers as an SQSEvent with the same body', async () => {
    const rec = recordingHandler();
    await new SqsQueue<ProviderEventMessage>(sqs.client, sqs.queueUrl).enqueue(message);
    const p = poller({ handler: rec.handler });
    await p.start();
    await p.drain();

    expect(rec.batches).toHaveLength(1);
    const record = rec.batches[0]!.Records[0]!;
    expect(JSON.parse(record.body)).toEqual(message);
    expect(record.body).toBe(JSON.stringify(message));
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: sqs.queueArn,
      awsRegion: 'eu-west-1',
      md5OfBody: createHash('md5').update(record.body).digest('hex'),
      messageAttributes: {},
    });
    expect(sqs.queueArn).toBe('arn:aws:sqs:eu-west-1:000000000000:paylink-inbound-webhooks');
    expect(record.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.receiptHandle).not.toBe('');
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(record.attributes.SentTimestamp));
    expect(p.stats).toEqual({ batches: 1, delivered: 1, deleted: 1, failed: 0 });
    expect(await p.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('passes message attributes through in the Lambda shape', async () => {
    const rec = recordingHandler();
    await sqs.client.send(
      new SendMessageCommand({
        QueueUrl: sqs.queueUrl,
        MessageBody: 'with attributes',
        MessageAttributes: { provider: { DataType: 'String', StringValue: 'sandbox' } },
      }),
    );
    const p = poller({ handler: rec.handler });
    await p.start();
    await p.drain();
    expect(rec.deliveries[0]!.record.messageAttributes).toEqual({
      provider: { stringValue: 'sandbox', stringListValues: [], binaryListValues: [], dataType: 'String' },
    });
    expect(rec.deliveries[0]!.record.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('SqsPoller, like the Lambda event source mapping', () => {
  it('delivers 25 messages in batches no larger than the batch size, each exactly once', async () => {
    const bodies = Array.from({ length: 25 }, (_, i) => `message-${i}`);
    await sendBodies(sqs, bodies);
    const rec = recordingHandler();
    const p = poller({ handler: rec.handler, batchSize: 4 });
    await p.start();
    await p.drain();

    const sizes = rec.batches.map((b) => b.Records.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
    expect(sizes.some((n) => n > 1)).toBe(true);
    expect(rec.deliveries.map((d) => d.record.body).sort()).toEqual([...bodies].sort());
    expect(rec.deliveries.every((d) => d.record.attributes.ApproximateReceiveCount === '1')).toBe(true);
    expect(p.stats).toMatchObject({ delivered: 25, deleted: 25, failed: 0 });
  });

  it('takes up to 10 per batch by default', async () => {
    await sendBodies(sqs, Array.from({ length: 25 }, (_, i) => `m-${i}`));
    const rec = recordingHandler();
    const p = poller({ handler: rec.handler });
    await p.start();
    await p.drain();
    const sizes = rec.batches.map((b) => b.Records.length);
    expect(Math.max(...sizes)).toBe(10);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(25);
  });

  it('redelivers only the records listed in batchItemFailures and deletes the others', async () => {
    await sendBodies(sqs, ['a', 'b', 'c']);
    const rec = recordingHandler((body, attempt) => body === 'b' && attempt === 1);
    const p = poller({ handler: rec.handler });
    await p.start();
    await p.drain();

    expect(rec.batches[0]!.Records.map((r) => r.body).sort()).toEqual(['a', 'b', 'c']);
    expect(rec.of('a')).toHaveLength(1);
    expect(rec.of('c')).toHaveLength(1);
    expect(rec.of('b').map((d) => d.record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(rec.batches.slice(1).flatMap((b) => b.Records.map((r) => r.body))).toEqual(['b']);
    expect(rec.of('b')[1]!.record.messageId).toBe(rec.of('b')[0]!.record.messageId);
    expect(await sqs.peekDeadLetters()).toEqual([]);
  });

  it('redelivers the whole batch when the handler throws', async () => {
    await sendBodies(sqs, ['x', 'y', 'z']);
    let calls = 0;
    const rec = recordingHandler();
    const p = poller({
      handler: async (event) => {
        calls += 1;
        await rec.handler(event);
        if (calls === 1) throw new Error('consumer crashed');
        return { batchItemFailures: [] };
      },
    });
    await p.start();
    await p.drain();

    expect(rec.batches[0]!.Records.map((r) => r.body).sort()).toEqual(['x', 'y', 'z']);
    for (const body of ['x', 'y', 'z']) {
      expect(rec.of(body).map((d) => d.record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    }
    expect(p.stats).toMatchObject({ delivered: 6, deleted: 3, failed: 3 });
  });

  it('treats a batchItemFailures entry that names no record of the batch as a failure of the whole batch', () => {
    const records = ['m1', 'm2'].map((messageId) => ({ messageId }) as SQSRecord);
    expect(failedMessageIds(undefined, records)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: [] }, records)).toEqual(new Set());
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'm2' }] }, records)).toEqual(new Set(['m2']));
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: 'other' }] }, records)).toEqual(new Set(['m1', 'm2']));
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: '' }] }, records)).toEqual(new Set(['m1', 'm2']));
  });

  it('fills in the receive count it tracked when a server leaves ApproximateReceiveCount out', () => {
    const record = toSqsRecord({ MessageId: 'm-1', ReceiptHandle: 'rh', Body: 'b', MD5OfBody: 'x' }, { queueArn: 'arn:q', region: 'eu-west-1' }, 3);
    expect(record).toMatchObject({ messageId: 'm-1', receiptHandle: 'rh', body: 'b', eventSourceARN: 'arn:q', awsRegion: 'eu-west-1' });
    expect(record.attributes.ApproximateReceiveCount).toBe('3');
    const served = toSqsRecord({ MessageId: 'm-1', Body: 'b', Attributes: { ApproximateReceiveCount: '2' } }, { queueArn: 'arn:q', region: 'eu-west-1' }, 3);
    expect(served.attributes.ApproximateReceiveCount).toBe('2');
  });

  it('moves a poison message to the DLQ after exactly 5 receives and never delivers it again', async () => {
    await sendBodies(sqs, ['poison', 'fine']);
    const rec = recordingHandler((body) => body === 'poison');
    const p = poller({ handler: rec.handler });
    await p.start();
    const started = Date.now();
    await p.drain();
    const drainedAfter = Date.now() - started;

    expect(rec.of('fine')).toHaveLength(1);
    expect(rec.of('poison').map((d) => d.record.attributes.ApproximateReceiveCount)).toEqual(['1', '2', '3', '4', '5']);
    const poisonId = rec.of('poison')[0]!.record.messageId;

    const dead = await sqs.peekDeadLetters();
    expect(dead.map((m) => [m.messageId, m.body])).toEqual([[poisonId, 'poison']]);
    expect(dead[0]!.attributes.DeadLetterQueueSourceArn).toBe(sqs.queueArn);
    // Peeking leaves it there.
    expect((await sqs.peekDeadLetters()).map((m) => m.body)).toEqual(['poison']);

    // Not delivered again: a marker sent now with a 1 s delay (over three visibility timeouts) is
    // received only after any reappearance of the poison would have been; wait for the marker.
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: 'marker', DelaySeconds: 1 }));
    await waitFor(async () => rec.of('marker').length === 1);
    expect(rec.of('poison')).toHaveLength(5);
    expect(await p.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    // Five receives, four visibility timeouts between them, the fifth expiring into the DLQ.
    expect(drainedAfter).toBeGreaterThanOrEqual(5 * 300 - 50);
  });

  it('honours a configured maxReceiveCount', async () => {
    await sqs.close();
    sqs = await startSqs({ maxReceiveCount: 2, queueName: 'short-fuse' });
    await sendBodies(sqs, ['poison']);
    const rec = recordingHandler(() => true);
    const p = poller({ handler: rec.handler });
    await p.start();
    await p.drain();
    expect(rec.of('poison').map((d) => d.record.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect((await sqs.peekDeadLetters()).map((m) => m.body)).toEqual(['poison']);
    expect(sqs.dlqArn).toBe('arn:aws:sqs:eu-west-1:000000000000:short-fuse-dlq');
  });

  it('does not redeliver a failed message before its visibility timeout', async () => {
    await sendBodies(sqs, ['late']);
    const rec = recordingHandler((_, attempt) => attempt === 1);
    // Batch size 1: local-aws-sqs answers as soon as the batch is full, so delivery follows receipt closely.
    const p = poller({ handler: rec.handler, batchSize: 1, waitTimeSeconds: 0.1, visibilityTimeoutSeconds: 0.8 });
    await p.start();
    await p.drain();

    const [first, second] = rec.of('late');
    expect(rec.of('late')).toHaveLength(2);
    const gap = second!.at - first!.at;
    expect(gap).toBeGreaterThanOrEqual(800 - 30);
    expect(gap).toBeLessThan(800 + 600);
  });

  it('stops cleanly: waits for the batch in the handler, and abandons an idle long poll', async () => {
    await sendBodies(sqs, ['slow']);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inHandler!: () => void;
    const entered = new Promise<void>((resolve) => (inHandler = resolve));
    let finished = false;
    const order: string[] = [];
    const p = poller({
      handler: async () => {
        inHandler();
        await gate;
        finished = true;
        order.push('handler finished');
        return { batchItemFailures: [] };
      },
      batchSize: 1, // a full batch ends local-aws-sqs's long poll at once
      waitTimeSeconds: 2,
      visibilityTimeoutSeconds: 5,
    });
    await p.start();
    await entered;
    const stopping = p.stop().then(() => order.push('stopped'));
    // A round trip to the queue: a stop that did not wait for the batch would have resolved by now.
    await p.depth();
    expect(order).toEqual([]);
    release();
    await stopping;
    expect(order).toEqual(['handler finished', 'stopped']);
    expect(finished).toBe(true);
    expect(p.running).toBe(false);
    expect(p.stats).toMatchObject({ delivered: 1, deleted: 1 });
    expect(await p.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    // Restarted, then stopped during a 2 s poll on an empty queue: it does not sit the poll out.
    await p.start();
    await sleep(50);
    const t0 = Date.now();
    await p.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(p.stats.batches).toBe(1);
  });

  it('leaves nothing open: a process that used the queue and the poller exits by itself', async () => {
    // In a child process, away from vitest's own handles: if a server, socket or timer were left
    // behind, the process would not exit and the test would time out.
    const sqsModule = new URL('../../sandbox/sqs.ts', import.meta.url).href;
    const pollerModule = new URL('../../sandbox/sqs-poller.ts', import.meta.url).href;
    const script = `
      const { startSqs } = await import(${JSON.stringify(sqsModule)});
      const { SqsPoller } = await import(${JSON.stringify(pollerModule)});
      const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
      const baseline = process.getActiveResourcesInfo().sort();
      const sqs = await startSqs();
      const seen = [];
      const poller = new SqsPoller({ client: sqs.client, queueUrl: sqs.queueUrl, waitTimeSeconds: 1, visibilityTimeoutSeconds: 2,
        handler: async (event) => { seen.push(...event.Records.map((r) => r.body)); return { batchItemFailures: [] }; } });
      await poller.start();
      await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: 'one' }));
      await poller.drain();
      await poller.stop();
      await sqs.close();
      console.log(JSON.stringify({ seen, baseline, after: process.getActiveResourcesInfo().sort() }));
    `;
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 15_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { seen: string[]; baseline: string[]; after: string[] };
    expect(report.seen).toEqual(['one']);
    expect(report.after).toEqual(report.baseline);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('reports a stopped poller with work left instead of waiting forever', async () => {
    await sendBodies(sqs, ['stranded']);
    const p = poller({ handler: async () => undefined });
    await expect(p.drain()).rejects.toThrow(/not running/);
  });

  it('refuses a visibility timeout that a long poll could outlast', () => {
    expect(() => poller({ handler: async () => undefined, waitTimeSeconds: 1, visibilityTimeoutSeconds: 1 })).toThrow(RangeError);
    expect(() => poller({ handler: async () => undefined, batchSize: 11 })).toThrow(RangeError);
  });
});

describe('with a journal, the queues survive a crash of the process (issue 9, item 10)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paylink-sqs-journal-'));
    await sqs.close();
    sqs = await journaled();
    expect(sqs.restore()).toEqual({ restored: 0, dropped: 0 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const journaled = () => startSqs({ journalPath: join(dir, 'sqs.jsonl'), maxReceiveCount: 2 });
  /** What a kill -9 leaves: the server gone with its memory, the journal on file. */
  const restart = async () => {
    await sqs.close();
    sqs = await journaled();
    return sqs.restore();
  };
  const delayed = async () =>
    Number((await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }))).Attributes?.ApproximateNumberOfMessagesDelayed);

  it('puts back every message not deleted, in flight or not, under its id and with its attributes; a deleted one stays gone', async () => {
    const sent = await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: sqs.queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'in flight', MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } } },
          { Id: 'b', MessageBody: 'deleted' },
        ],
      }),
    );
    const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30 }));
    expect((received.Messages ?? []).map((m) => m.Body).sort()).toEqual(['deleted', 'in flight']);
    const deleted = received.Messages!.find((m) => m.Body === 'deleted')!;
    await sqs.client.send(new DeleteMessageCommand({ QueueUrl: sqs.queueUrl, ReceiptHandle: deleted.ReceiptHandle! }));
    const waiting = await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: 'waiting' }));

    expect(await restart()).toEqual({ restored: 2, dropped: 0 });
    const back = await peekMessages(sqs.client, sqs.queueUrl);
    expect(back.map((m) => [m.messageId, m.body]).sort()).toEqual(
      [
        [sent.Successful!.find((s) => s.Id === 'a')!.MessageId!, 'in flight'],
        [waiting.MessageId!, 'waiting'],
      ].sort(),
    );
    expect(back.find((m) => m.body === 'in flight')!.messageAttributes).toEqual({ kind: { DataType: 'String', StringValue: 'test' } });
    // Compacted on restart: the deleted message is no longer on file.
    expect(readFileSync(join(dir, 'sqs.jsonl'), 'utf8')).not.toContain('"deleted"');
  });

  it('keeps a delayed message (a scheduled webhook retry) delayed', async () => {
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: 'retry later', DelaySeconds: 600 }));
    expect(await restart()).toEqual({ restored: 1, dropped: 0 });
    expect(await delayed()).toBe(1);
  });

  it('brings a dead-lettered message back in the DLQ, not in the queue it failed in', async () => {
    await sendBodies(sqs, ['poison']);
    const p = poller({ handler: recordingHandler(() => true).handler });
    await p.start();
    await p.drain();
    await p.stop();
    const [dead] = await sqs.peekDeadLetters();
    expect(dead?.body).toBe('poison');

    expect(await restart()).toEqual({ restored: 1, dropped: 0 });
    expect((await sqs.peekDeadLetters()).map((m) => [m.messageId, m.body])).toEqual([[dead!.messageId, 'poison']]);
    expect(await peekMessages(sqs.client, sqs.queueUrl)).toEqual([]);
  });
});
