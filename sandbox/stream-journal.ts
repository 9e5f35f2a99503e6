/**
 * The emulated table stream, kept through a crash of the process (DynamoDB keeps its stream for 24
 * hours whatever happens to the consumer). With a data dir the stream proxy journals, for each
 * write to an item, the item's image before the write (before forwarding it to dynalite), then the
 * record the write produced, or that it changed nothing (before answering the writer); the delivery
 * journals how far the dispatcher got (records are delivered in order, so one mark says it all).
 *
 * On restart, `recover` hands back every record not yet handled, in order, to be delivered again
 * (at least once: the dispatcher's effects carry deterministic ids), and settles each write the
 * crash cut short between dynalite and its record: the item is read and compared with its image
 * before; if it changed, the write committed and its record is made now. So no committed change
 * goes without its record, even one whose writer never heard back.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { Journal, worthCompacting } from './journal.js';

export type Item = Record<string, AttributeValue>;
/** Builds the record of a change of the item at `key` (the proxy's format), numbered `sequence`. */
export type RecordBuilder = (sequence: bigint, key: Item, before: Item | undefined, after: Item | undefined) => DynamoDBRecord;

type StreamJournalEntry =
  | { op: 'write'; w: number; key: Item; old?: Item }
  | { op: 'record'; w: number; record: DynamoDBRecord }
  | { op: 'unchanged'; w: number }
  | { op: 'handled'; through: string }
  | { op: 'dead'; record: DynamoDBRecord }
  | { op: 'sequence'; last: string };

/** Dead letters kept across compactions (the sandbox's stand-in for the on-failure destination). */
const KEPT_DEAD_LETTERS = 100;

const sequenceOf = (record: DynamoDBRecord) => BigInt(record.dynamodb?.SequenceNumber ?? '0');

/** The same item, whatever the order of its attributes. */
export function sameImage(a: Item | undefined, b: Item | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export class StreamJournal {
  /** Writes forwarded to dynalite whose outcome is not on file yet. */
  private readonly writes = new Map<number, { key: Item; old?: Item }>();
  /** Records not handled by the dispatcher yet, in sequence order. */
  private records: DynamoDBRecord[] = [];
  readonly deadLetters: DynamoDBRecord[] = [];
  private last = 0n;
  private nextWrite = 1;
  private recovered = false;

  private constructor(private readonly journal: Journal<StreamJournalEntry>) {}

  static open(path: string): StreamJournal {
    const { journal, entries } = Journal.open<StreamJournalEntry>(path);
    const self = new StreamJournal(journal);
    for (const entry of entries) self.apply(entry);
    return self;
  }

  /** The last sequence number given out: the proxy numbers its records after it. */
  get lastSequence(): bigint {
    return this.last;
  }

  /**
   * The records to deliver again, in order: those the dispatcher had not handled, then one for each
   * interrupted write that did commit (`read` gives the item as it is now). Then compacts the file.
   */
  async recover(read: (key: Item) => Promise<Item | undefined>, build: RecordBuilder): Promise<DynamoDBRecord[]> {
    if (this.recovered) throw new Error('StreamJournal.recover runs once');
    this.recovered = true;
    for (const [w, write] of [...this.writes]) {
      const now = await read(write.key);
      if (!sameImage(write.old, now)) this.records.push(build((this.last += 1n), write.key, write.old, now));
      this.writes.delete(w);
    }
    this.compact();
    return [...this.records];
  }

  /** Before forwarding a write: the item's image before it. Returns the write's handle. */
  writing(key: Item, old: Item | undefined): number {
    const w = this.nextWrite++;
    this.append({ op: 'write', w, key, ...(old ? { old } : {}) });
    return w;
  }

  /** The write committed and produced this record (numbered after `lastSequence`). */
  committed(w: number, record: DynamoDBRecord): void {
    this.append({ op: 'record', w, record });
  }

  /** The write changed nothing (a failed condition, an error from dynalite). */
  unchanged(w: number): void {
    this.append({ op: 'unchanged', w });
  }

  /** The dispatcher is done with this record and every one before it (`dead`: given up on). */
  handled(record: DynamoDBRecord, dead: boolean): void {
    if (dead) this.append({ op: 'dead', record });
    this.append({ op: 'handled', through: record.dynamodb?.SequenceNumber ?? '0' });
  }

  close(): void {
    this.journal.close();
  }

  private append(entry: StreamJournalEntry): void {
    this.journal.append(entry);
    this.apply(entry);
    if (this.recovered && worthCompacting(this.journal, this.writes.size + this.records.length)) this.compact();
  }

  private apply(entry: StreamJournalEntry): void {
    switch (entry.op) {
      case 'write':
        this.writes.set(entry.w, { key: entry.key, ...(entry.old ? { old: entry.old } : {}) });
        this.nextWrite = Math.max(this.nextWrite, entry.w + 1);
        break;
      case 'record':
        this.writes.delete(entry.w);
        this.records.push(entry.record);
        if (sequenceOf(entry.record) > this.last) this.last = sequenceOf(entry.record);
        break;
      case 'unchanged':
        this.writes.delete(entry.w);
        break;
      case 'handled': {
        const through = BigInt(entry.through);
        this.records = this.records.filter((r) => sequenceOf(r) > through);
        break;
      }
      case 'dead':
        this.deadLetters.push(entry.record);
        if (this.deadLetters.length > KEPT_DEAD_LETTERS) this.deadLetters.shift();
        break;
      case 'sequence':
        if (BigInt(entry.last) > this.last) this.last = BigInt(entry.last);
        break;
    }
  }

  private compact(): void {
    this.journal.rewrite([
      { op: 'sequence', last: this.last.toString() },
      ...this.deadLetters.map((record) => ({ op: 'dead' as const, record })),
      ...[...this.writes].map(([w, write]) => ({ op: 'write' as const, w, ...write })),
      ...this.records.map((record) => ({ op: 'record' as const, w: 0, record })),
    ]);
  }
}
