/**
 * Delivers emulated stream records to the dispatcher the way the Lambda event source mapping does:
 * in order, in batches, retrying from the first failed record (ReportBatchItemFailures), and
 * giving up on a record after a bounded number of attempts (on AWS it then goes to the DLQ).
 * `onHandled` hears, in order, of each record the dispatcher is done with (the stream journal's mark).
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamTrigger } from '../shared/app/functions.js';
import type { Logger } from '../shared/logger.js';
import { lambdaContext } from './lambda-context.js';

/** The longest pause between two attempts of a record (11 attempts then take about 15 s, not minutes). */
const MAX_RETRY_DELAY_MS = 2_000;

export type StreamHandler = (event: DynamoDBStreamEvent, context: ReturnType<typeof lambdaContext>) => Promise<DynamoDBBatchResponse>;

export class StreamDelivery {
  private queue: DynamoDBRecord[] = [];
  private running: Promise<void> | undefined;
  private attempts = 0;
  readonly deadLetters: DynamoDBRecord[] = [];

  constructor(
    private readonly handler: StreamHandler,
    private readonly logger: Logger,
    private readonly options: {
      batchSize: number;
      maxAttempts: number;
      retryDelayMs: number;
      functionName?: string;
      /** Called with the last record of each run of handled ones (that one and all before it are done); `dead`: given up on. */
      onHandled?: (record: DynamoDBRecord, dead: boolean) => void;
    } = { batchSize: 100, maxAttempts: 5, retryDelayMs: 200 },
  ) {}

  /**
   * Delivery as the manifest's stream trigger configures the event source mapping: its batch size,
   * and its MaximumRetryAttempts plus the first attempt before a record is given up on.
   */
  static forTrigger(
    handler: StreamHandler,
    logger: Logger,
    trigger: Pick<StreamTrigger, 'batchSize' | 'retryAttempts'>,
    options: { retryDelayMs?: number; functionName?: string; onHandled?: (record: DynamoDBRecord, dead: boolean) => void } = {},
  ): StreamDelivery {
    return new StreamDelivery(handler, logger, { retryDelayMs: 200, ...options, batchSize: trigger.batchSize, maxAttempts: trigger.retryAttempts + 1 });
  }

  push(record: DynamoDBRecord): void {
    this.queue.push(record);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once every record pushed so far has been handled (or dead-lettered). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.batchSize);
      let failedAt = -1;
      try {
        const result = await this.handler({ Records: batch }, lambdaContext(this.options.functionName ?? 'stream'));
        const failed = result?.batchItemFailures?.[0]?.itemIdentifier;
        if (failed !== undefined) {
          failedAt = batch.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
          if (failedAt < 0) failedAt = 0;
        }
      } catch (error) {
        this.logger.error('stream dispatcher threw', { error });
        failedAt = 0;
      }
      if (failedAt < 0) {
        this.queue.splice(0, batch.length);
        this.attempts = 0;
        this.options.onHandled?.(batch.at(-1)!, false);
        continue;
      }
      this.queue.splice(0, failedAt);
      if (failedAt > 0) {
        this.options.onHandled?.(batch[failedAt - 1]!, false);
        // Another record now heads the queue: attempts are counted per record, as on AWS.
        this.attempts = 0;
      }
      this.attempts += 1;
      if (this.attempts >= this.options.maxAttempts) {
        const dead = this.queue.shift();
        if (dead) {
          this.deadLetters.push(dead);
          this.options.onHandled?.(dead, true);
        }
        this.logger.error('stream record dead-lettered', { event_id: dead?.eventID });
        this.attempts = 0;
        continue;
      }
      await new Promise((r) => setTimeout(r, Math.min(MAX_RETRY_DELAY_MS, this.options.retryDelayMs * 2 ** (this.attempts - 1))));
    }
  }
}
