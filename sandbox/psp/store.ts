/**
 * The sandbox PSP's sessions and payments kept under the sandbox's data dir, as an external
 * provider's database would keep them: a restart or a crash of the sandbox does not make the
 * provider forget what Paylink asks it about afterwards (confirming a queued notification, the
 * shopper's return, voiding a late payment). Each change is journaled as the whole new value (the
 * latest wins) before the PSP answers or notifies. Not kept: webhook deliveries in progress and the
 * timers of pending attempts (the 0077 and 0093 cards), which die with the process as they would in
 * a provider's outage.
 */
import { Journal, worthCompacting } from '../journal.js';
import type { PspStore, SandboxPspPayment, SandboxPspSession } from './state.js';

type Saved = { kind: 'session'; value: SandboxPspSession } | { kind: 'payment'; value: SandboxPspPayment };

export class PspJournal implements PspStore {
  private readonly latest = new Map<string, Saved>();

  private constructor(private readonly journal: Journal<Saved>) {}

  /** Opens the journal; `sessions` and `payments` are what the PSP held when it last ran. */
  static open(path: string): { store: PspJournal; sessions: SandboxPspSession[]; payments: SandboxPspPayment[] } {
    const { journal, entries } = Journal.open<Saved>(path);
    const store = new PspJournal(journal);
    for (const entry of entries) store.latest.set(`${entry.kind}:${entry.value.id}`, entry);
    const saved = [...store.latest.values()];
    journal.rewrite(saved);
    return {
      store,
      sessions: saved.flatMap((e) => (e.kind === 'session' ? [e.value] : [])),
      payments: saved.flatMap((e) => (e.kind === 'payment' ? [e.value] : [])),
    };
  }

  saveSession(session: SandboxPspSession): void {
    this.save({ kind: 'session', value: session });
  }

  savePayment(payment: SandboxPspPayment): void {
    this.save({ kind: 'payment', value: payment });
  }

  close(): void {
    this.journal.close();
  }

  private save(entry: Saved): void {
    this.journal.append(entry);
    this.latest.set(`${entry.kind}:${entry.value.id}`, entry);
    if (worthCompacting(this.journal, this.latest.size)) this.journal.rewrite([...this.latest.values()]);
  }
}
