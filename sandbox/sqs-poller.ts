/**
 * Feeds an SQS queue to a handler the way the Lambda SQS event source mapping does: long-poll up to
 * `batchSize` messages, invoke the handler with an SQSEvent, delete the records that succeeded, and
 * leave the failed ones (those in `batchItemFailures`, or all of them when the handler throws) to
 * reappear after the visibility timeout, until SQS's redrive moves them to the DLQ.
 * One batch at a time: the sandbox needs the semantics, not Lambda's scaling.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { createLogger, type Logger } from '../shared/logger.js';
import { lambdaContext } from './lambda-context.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface SqsPollerOptions {
  client: SQSClient;
  queueUrl: string;
  handler: SqsHandler;
  /** Messages per invocation, 1–10 (one ReceiveMessage). Default 10. */
  batchSize?: number;
  /**
   * Long-poll duration. Default 1. local-aws-sqs holds a poll open for this long unless the batch
   * fills (AWS answers as soon as it has messages), so this is also the delivery latency; it accepts
   * fractions of a second, which AWS does not.
   */
  waitTimeSeconds?: number;
  /** How long a received message stays hidden; must exceed waitTimeSeconds. Default 2. Fractions work on local-aws-sqs. */
  visibilityTimeoutSeconds?: number;
  /** For the Lambda context. */
  functionName?: string;
  /** The context's getRemainingTimeInMillis budget; default the visibility timeout. */
  functionTimeoutMs?: number;
  logger?: Logger;
  /** Pause after a failed ReceiveMessage or GetQueueAttributes. Default 200. */
  errorBackoffMs?: number;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface PollerStats {
  batches: number;
  /** Records handed to the handler, redeliveries included. */
  delivered: number;
  deleted: number;
  failed: number;
}

/** The SQSRecord Lambda builds from a received message. */
export function toSqsRecord(message: Message, source: { queueArn: string; region: string }, fallbackReceiveCount = 1): SQSRecord {
  const attributes = message.Attributes ?? {};
  const sent = attributes.SentTimestamp ?? String(Date.now());
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ...attributes,
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? String(fallbackReceiveCount),
      SentTimestamp: sent,
      SenderId: attributes.SenderId ?? 'SANDBOX',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? sent,
    },
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

function toLambdaMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, a]) => [
      name,
      {
        ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
        ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
        stringListValues: a.StringListValues ?? [],
        binaryListValues: (a.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
        dataType: a.DataType ?? 'String',
      },
    ]),
  );
}

/**
 * The message ids to keep, as Lambda reads a handler's answer: none for an empty or missing
 * response, the listed ones otherwise, and the whole batch if any identifier is empty or unknown.
 */
export function failedMessageIds(response: SQSBatchResponse | void, records: SQSRecord[]): Set<string> {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((r) => r.messageId));
  if (failures.some((f) => typeof f?.itemIdentifier !== 'string' || !ids.has(f.itemIdentifier))) return ids;
  return new Set(failures.map((f) => f.itemIdentifier));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SqsPoller {
  readonly stats: PollerStats = { batches: 0, delivered: 0, deleted: 0, failed: 0 };
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly handler: SqsHandler;
  private readonly batchSize: number;
  private readonly waitTimeSeconds: number;
  private readonly visibilityTimeoutSeconds: number;
  private readonly functionName: string;
  private readonly functionTimeoutMs: number;
  private readonly logger: Logger;
  private readonly errorBackoffMs: number;
  private source: { queueArn: string; region: string } | undefined;
  /** Our own receive counts, for a server that does not return ApproximateReceiveCount. */
  private readonly receives = new Map<string, number>();
  private maxReceiveCount: number | undefined;
  private state: 'idle' | 'running' | 'stopping' = 'idle';
  private loop: Promise<void> | undefined;
  private batch: Promise<void> | undefined;
  private receiving: AbortController | undefined;
  private wake: (() => void) | undefined;

  constructor(options: SqsPollerOptions) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.handler = options.handler;
    this.batchSize = options.batchSize ?? 10;
    this.waitTimeSeconds = options.waitTimeSeconds ?? 1;
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 2;
    this.functionName = options.functionName ?? 'sqs-consumer';
    this.functionTimeoutMs = options.functionTimeoutMs ?? this.visibilityTimeoutSeconds * 1000;
    this.logger = options.logger ?? createLogger({ level: 'warn' });
    this.errorBackoffMs = options.errorBackoffMs ?? 200;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10) {
      throw new RangeError(`batchSize must be an integer from 1 to 10, got ${this.batchSize}`);
    }
    if (!(this.waitTimeSeconds >= 0 && this.waitTimeSeconds <= 20)) throw new RangeError(`waitTimeSeconds must be 0–20, got ${this.waitTimeSeconds}`);
    // local-aws-sqs keeps collecting for the whole poll: a message whose visibility ran out during
    // it would come back in the same response, and count as a second receive.
    if (!(this.visibilityTimeoutSeconds > this.waitTimeSeconds + 0.05)) {
      throw new RangeError(`visibilityTimeoutSeconds (${this.visibilityTimeoutSeconds}) must exceed waitTimeSeconds (${this.waitTimeSeconds}) by more than 50 ms`);
    }
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Resolves once polling has begun (after reading the queue's ARN and redrive policy). */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error('SqsPoller already started');
    this.state = 'running';
    try {
      const out = await this.client.send(
        new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['QueueArn', 'RedrivePolicy'] }),
      );
      const queueArn = out.Attributes?.QueueArn;
      if (!queueArn) throw new Error(`no QueueArn for ${this.queueUrl}`);
      const redrive = out.Attributes?.RedrivePolicy;
      if (redrive) this.maxReceiveCount = Number((JSON.parse(redrive) as { maxReceiveCount?: unknown }).maxReceiveCount) || undefined;
      this.source = { queueArn, region: await this.client.config.region() };
    } catch (error) {
      this.state = 'idle';
      throw error;
    }
    this.loop = this.run();
  }

  /** Stops polling: abandons a pending long poll, waits for the batch in the handler. */
  async stop(): Promise<void> {
    if (this.state !== 'running') {
      await this.loop;
      return;
    }
    this.state = 'stopping';
    this.receiving?.abort();
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    this.state = 'idle';
  }

  /**
   * Resolves when the queue holds no message (visible, in flight or delayed) and no batch is in
   * the handler: everything sent so far has been deleted or moved to the DLQ.
   */
  /** `ignoreDelayed`: do not wait for messages sent with a delay (scheduled retries in the future). */
  async drain(options: { timeoutMs?: number; intervalMs?: number; ignoreDelayed?: boolean } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      await this.batch;
      const depth = await this.depth();
      const waiting = depth.visible + depth.inFlight + (options.ignoreDelayed ? 0 : depth.delayed);
      if (waiting === 0 && !this.batch) return;
      if (this.state !== 'running' && !this.batch) {
        throw new Error(`SqsPoller is not running and the queue is not empty (${JSON.stringify(depth)})`);
      }
      if (Date.now() > deadline) throw new Error(`SqsPoller.drain timed out (${JSON.stringify(depth)})`);
      await sleep(options.intervalMs ?? 25);
    }
  }

  /** The queue's message counts. local-aws-sqs counts in-flight messages in ApproximateNumberOfMessages too. */
  async depth(): Promise<QueueDepth> {
    const out = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    const n = (name: string) => Number(out.Attributes?.[name as keyof typeof out.Attributes] ?? 0);
    const inFlight = n('ApproximateNumberOfMessagesNotVisible');
    // AWS: ApproximateNumberOfMessages is the visible ones; local-aws-sqs: all but the delayed.
    // The sum is zero exactly when the queue is empty, either way.
    return { visible: Math.max(0, n('ApproximateNumberOfMessages') - inFlight), inFlight, delayed: n('ApproximateNumberOfMessagesDelayed') };
  }

  private async run(): Promise<void> {
    while (this.state === 'running') {
      let messages: Message[];
      try {
        this.receiving = new AbortController();
        const out = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: this.batchSize,
            WaitTimeSeconds: this.waitTimeSeconds,
            VisibilityTimeout: this.visibilityTimeoutSeconds,
            // local-aws-sqs only answers the deprecated AttributeNames; AWS takes either.
            AttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.receiving.signal },
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (this.state !== 'running') break;
        this.logger.warn('sqs poller: ReceiveMessage failed', { error, queue_url: this.queueUrl });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.errorBackoffMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
        continue;
      } finally {
        this.receiving = undefined;
      }
      // Delivered even when stopping: received messages would otherwise sit hidden.
      if (messages.length > 0) {
        this.batch = this.deliver(messages);
        await this.batch;
        this.batch = undefined;
      }
    }
  }

  private async deliver(messages: Message[]): Promise<void> {
    // Last copy wins should a message come twice in one response; AWS never does that.
    const unique = [...new Map(messages.map((m) => [m.MessageId ?? '', m])).values()];
    const records = unique.map((m) => {
      const id = m.MessageId ?? '';
      const count = (this.receives.get(id) ?? 0) + 1;
      this.receives.set(id, count);
      return toSqsRecord(m, this.source!, count);
    });
    this.stats.batches += 1;
    this.stats.delivered += records.length;
    let failed: Set<string>;
    try {
      const response = await this.handler({ Records: records }, lambdaContext(this.functionName, this.functionTimeoutMs));
      failed = failedMessageIds(response, records);
    } catch (error) {
      this.logger.error('sqs poller: handler threw, the whole batch will be retried', { error, function_name: this.functionName });
      failed = new Set(records.map((r) => r.messageId));
    }
    this.stats.failed += failed.size;
    for (const r of records) {
      const count = Number(r.attributes.ApproximateReceiveCount);
      if (failed.has(r.messageId) && this.maxReceiveCount !== undefined && count >= this.maxReceiveCount) {
        this.logger.warn('sqs poller: message failed its last receive, SQS moves it to the DLQ', { message_id: r.messageId, receive_count: count });
        this.receives.delete(r.messageId);
      }
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length === 0) return;
    try {
      const out = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const f of out.Failed ?? []) {
        this.logger.warn('sqs poller: DeleteMessage failed, the message will be delivered again', { message_id: done[Number(f.Id)]?.messageId, code: f.Code });
      }
      const failedDeletes = new Set((out.Failed ?? []).map((f) => Number(f.Id)));
      done.forEach((r, i) => {
        if (failedDeletes.has(i)) return;
        this.receives.delete(r.messageId);
        this.stats.deleted += 1;
      });
    } catch (error) {
      this.logger.warn('sqs poller: DeleteMessageBatch failed, the batch will be delivered again', { error });
    }
  }
}
