/**
 * The sandbox's stream delivery gives up on a record after `maxAttempts` failures of THAT record
 * (MaximumRetryAttempts is per record on AWS), not after failures of the records before it.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { StreamDelivery } from '../../sandbox/stream-delivery.js';
import { functionsTriggeredBy } from '../../shared/app/functions.js';
import { createLogger } from '../../shared/logger.js';

const record = (n: number): DynamoDBRecord => ({ eventID: String(n), dynamodb: { SequenceNumber: String(n).padStart(21, '0') } });

describe('sandbox stream delivery', () => {
  it('dead-letters no record when each of several records fails once (a burst with transient faults)', async () => {
    const failedOnce = new Set<string>();
    const handled: string[] = [];
    const stream = new StreamDelivery(
      async (event) => {
        for (const r of event.Records) {
          const seq = r.dynamodb!.SequenceNumber!;
          if (!failedOnce.has(seq)) {
            failedOnce.add(seq);
            return { batchItemFailures: [{ itemIdentifier: seq }] };
          }
          handled.push(r.eventID!);
        }
        return { batchItemFailures: [] };
      },
      createLogger({ level: 'error', write: () => {} }),
      { batchSize: 100, maxAttempts: 5, retryDelayMs: 1 },
    );
    for (let n = 1; n <= 8; n++) stream.push(record(n));
    await stream.drain();
    expect(stream.deadLetters.map((r) => r.eventID)).toEqual([]);
    expect(handled).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  });

  it('still gives up on a record that keeps failing, after maxAttempts of its own', async () => {
    let calls = 0;
    const stream = new StreamDelivery(
      async (event) => {
        calls++;
        const poison = event.Records.find((r) => r.eventID === '2');
        return { batchItemFailures: poison ? [{ itemIdentifier: poison.dynamodb!.SequenceNumber! }] : [] };
      },
      createLogger({ level: 'error', write: () => {} }),
      { batchSize: 100, maxAttempts: 3, retryDelayMs: 1 },
    );
    for (let n = 1; n <= 3; n++) stream.push(record(n));
    await stream.drain();
    expect(stream.deadLetters.map((r) => r.eventID)).toEqual(['2']);
    // Record 1 goes alone (delivery starts at the first push), then 3 attempts of record 2, then 3.
    expect(calls).toBe(5);
  });

  it("gives up after the manifest's retryAttempts + 1 attempts, as the event source mapping does (10 retries: 11 attempts)", async () => {
    const [stream] = functionsTriggeredBy('stream');
    let calls = 0;
    const delivery = StreamDelivery.forTrigger(
      async (event) => {
        calls++;
        return { batchItemFailures: [{ itemIdentifier: event.Records[0]!.dynamodb!.SequenceNumber! }] };
      },
      createLogger({ level: 'error', write: () => {} }),
      stream!.trigger,
      { retryDelayMs: 1 },
    );
    delivery.push(record(1));
    await delivery.drain();
    expect(calls).toBe(11);
    expect(delivery.deadLetters.map((r) => r.eventID)).toEqual(['1']);
  });
});
