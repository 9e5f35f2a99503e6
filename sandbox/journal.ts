/**
 * An append-only journal of JSON lines under the sandbox's data dir: what the in-memory stand-ins
 * (local-aws-sqs's queues, the emulated table stream, the bus) must not forget when the process
 * dies. Each entry is one write(2), made before the caller is answered, so a process killed at any
 * moment (kill -9) keeps every entry whose append returned: the kernel has it.
 *
 * No fsync: the journal survives a crash of the process, not of the machine, like the table it
 * sits next to (dynalite's LevelDB does not sync its writes either), and a sync per entry would
 * hold the event loop ~0.15 ms per message on this kind of disk. Appends are synchronous so that an
 * entry is on file before whatever follows it in the same tick (the answer to the producer).
 *
 * A line cut short by the crash is skipped when reading; the file is then rewritten without it, so
 * later appends never follow a partial line. `rewrite` (compaction) replaces the file atomically.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class Journal<E> {
  /** Entries appended since the file was last written whole. */
  appended = 0;
  private fd: number | undefined;

  private constructor(private readonly path: string) {}

  /** Opens the journal (creating it and its directory) and reads what it holds. */
  static open<E>(path: string): { journal: Journal<E>; entries: E[]; torn: number } {
    mkdirSync(dirname(path), { recursive: true });
    const entries: E[] = [];
    let torn = 0;
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          entries.push(JSON.parse(line) as E);
        } catch {
          torn += 1;
        }
      }
    }
    const journal = new Journal<E>(path);
    if (torn > 0) journal.rewrite(entries);
    else journal.fd = openSync(path, 'a');
    return { journal, entries, torn };
  }

  append(entry: E): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    writeAll(this.fd, Buffer.from(JSON.stringify(entry) + '\n'));
    this.appended += 1;
  }

  /** Replaces the whole file with these entries (temp file, fsync, rename) and appends after them. */
  rewrite(entries: readonly E[]): void {
    const temp = `${this.path}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeAll(fd, Buffer.from(entries.map((e) => JSON.stringify(e) + '\n').join('')));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
    this.appended = 0;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/** Whether a journal holding `live` entries that matter has grown enough to be rewritten. */
export function worthCompacting(journal: Journal<unknown>, live: number): boolean {
  return journal.appended > 1000 && journal.appended > 4 * live;
}
