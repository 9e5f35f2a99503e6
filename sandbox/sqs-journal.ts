/**
 * local-aws-sqs keeps its messages in memory; with a data dir the sandbox journals them so that
 * its queues survive a crash of the process, as SQS would. A message is journaled when a queue
 * takes it (SendMessage, SendMessageBatch, and the redrive that moves it to a DLQ), before SQS
 * answers the sender; its delete is journaled once the queue has dropped it. On restart, every
 * message neither deleted, purged nor past its retention goes back into its queue under its
 * message id, delayed for what was left of its delay. At least once, as on AWS: a message whose
 * consumer finished but whose delete was cut short comes back, and the consumers are idempotent
 * (provider events by event id, notifications and webhook deliveries by deterministic ids).
 * Messages that were in flight come back visible at once (their consumer died with the process),
 * and receive counts start again, since the poller keeps its own in memory too.
 *
 * Hooks into local-aws-sqs 2.0.2's queue objects (`service.Queues`): `setRecord(input, messageId?)`
 * is how every message enters a queue, DLQ moves included (with the message's id), and `delete`
 * takes the receipt handle, which is base64 of a random prefix and `{"MessageId",...}` JSON.
 */
import { randomUUID } from 'node:crypto';
import { Journal, worthCompacting } from './journal.js';

/** What a queue takes a message with: the SendMessage request (or batch entry), or a redrive's copy. */
interface RecordInput {
  MessageBody: string;
  DelaySeconds?: unknown;
  MessageAttributes?: unknown;
  MessageSystemAttributes?: unknown;
}

/** The parts of a local-aws-sqs queue the journal uses (lib/queue.d.ts types its input as any). */
export interface LocalQueue {
  QueueName: string;
  DelaySeconds: number;
  MessageRetentionPeriod: number;
  setRecord: (input: RecordInput, messageId?: string) => unknown;
  delete(receiptHandle: string): boolean;
  clearRecords(): void;
}

interface SentEntry {
  op: 'send';
  id: string;
  queue: string;
  /** Epoch ms when the queue took it. */
  at: number;
  delay: number;
  body: string;
  attributes?: unknown;
  system?: unknown;
}
type SqsJournalEntry = SentEntry | { op: 'delete'; id: string } | { op: 'purge'; queue: string };

/** The message id a local-aws-sqs receipt handle names. */
export function messageIdOfReceipt(handle: string): string | undefined {
  try {
    const text = Buffer.from(handle, 'base64').toString('utf8');
    const id = (JSON.parse(text.slice(text.indexOf('{'))) as { MessageId?: unknown }).MessageId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export class SqsJournal {
  /** Messages still in a queue, by id (ids are unique across queues; a DLQ move keeps the id). */
  private readonly live = new Map<string, SentEntry>();
  private readonly originals = new WeakMap<LocalQueue, LocalQueue['setRecord']>();
  /** The ids read from file at open: what `restore` puts back. */
  private recovered = new Set<string>();
  private restored = false;
  private closed = false;

  private constructor(private readonly journal: Journal<SqsJournalEntry>) {}

  static open(path: string): SqsJournal {
    const { journal, entries } = Journal.open<SqsJournalEntry>(path);
    const self = new SqsJournal(journal);
    for (const entry of entries) self.apply(entry);
    self.recovered = new Set(self.live.keys());
    return self;
  }

  /** Messages waiting to be put back by `restore`. */
  get pending(): number {
    return this.restored ? 0 : this.recovered.size;
  }

  /** Journals the queues not hooked yet (call before each request: CreateQueue may have added one). */
  hook(queues: readonly LocalQueue[]): void {
    for (const queue of queues) {
      if (this.originals.has(queue)) continue;
      const setRecord = queue.setRecord;
      this.originals.set(queue, setRecord);
      queue.setRecord = (input: RecordInput, messageId?: string) => {
        const id = messageId ?? randomUUID();
        const delay = Number(input.DelaySeconds ?? queue.DelaySeconds) || 0;
        const entry: SentEntry = { op: 'send', id, queue: queue.QueueName, at: Date.now(), delay, body: input.MessageBody };
        if (input.MessageAttributes !== undefined) entry.attributes = input.MessageAttributes;
        if (input.MessageSystemAttributes !== undefined) entry.system = input.MessageSystemAttributes;
        this.append(entry); // on file before the queue has it, so before the sender hears of it
        return setRecord(input, id);
      };
      const remove = queue.delete.bind(queue);
      queue.delete = (receiptHandle: string) => {
        const removed = remove(receiptHandle);
        const id = messageIdOfReceipt(receiptHandle);
        if (id !== undefined && this.live.get(id)?.queue === queue.QueueName) this.append({ op: 'delete', id });
        return removed;
      };
      const clear = queue.clearRecords.bind(queue);
      queue.clearRecords = () => {
        clear();
        this.append({ op: 'purge', queue: queue.QueueName });
      };
    }
  }

  /**
   * Puts the journaled messages back into their (freshly created) queues, then compacts the
   * journal. Once, before anything polls. Returns how many came back and how many were dropped
   * (past their retention, or for a queue that no longer exists).
   */
  restore(queues: readonly LocalQueue[]): { restored: number; dropped: number } {
    if (this.restored) throw new Error('SqsJournal.restore runs once');
    this.restored = true;
    this.hook(queues);
    const now = Date.now();
    let restored = 0;
    let dropped = 0;
    for (const id of this.recovered) {
      const entry = this.live.get(id);
      if (!entry) continue;
      const queue = queues.find((q) => q.QueueName === entry.queue);
      if (!queue || entry.at + queue.MessageRetentionPeriod * 1000 <= now) {
        this.live.delete(entry.id);
        dropped += 1;
        continue;
      }
      const remaining = Math.max(0, entry.at + entry.delay * 1000 - now) / 1000;
      this.originals.get(queue)!(
        {
          MessageBody: entry.body,
          DelaySeconds: remaining,
          ...(entry.attributes !== undefined ? { MessageAttributes: entry.attributes } : {}),
          ...(entry.system !== undefined ? { MessageSystemAttributes: entry.system } : {}),
        },
        entry.id,
      );
      restored += 1;
    }
    this.recovered.clear();
    this.journal.rewrite([...this.live.values()]);
    return { restored, dropped };
  }

  /** Stops journaling (before the server is reset at shutdown: that empties the queues, which is no purge). */
  close(): void {
    this.closed = true;
    this.journal.close();
  }

  private append(entry: SqsJournalEntry): void {
    if (this.closed) return;
    this.journal.append(entry);
    this.apply(entry);
    if (this.restored && worthCompacting(this.journal, this.live.size)) this.journal.rewrite([...this.live.values()]);
  }

  private apply(entry: SqsJournalEntry): void {
    if (entry.op === 'send') this.live.set(entry.id, entry);
    else if (entry.op === 'delete') this.live.delete(entry.id);
    else for (const [id, sent] of this.live) if (sent.queue === entry.queue) this.live.delete(id);
  }
}
