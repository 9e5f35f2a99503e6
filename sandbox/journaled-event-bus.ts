/**
 * The sandbox's bus with a data dir: every event published is journaled before `publish` returns,
 * and a restart lists them again at GET /sandbox/events (the latest KEEP_EVENTS), as EventBridge would have delivered
 * them to its targets whatever became of the publisher. Like EventBridge, at least once: an event
 * republished after a crash (its stream record was redelivered) is listed again, under the same id.
 */
import type { BusEvent } from '../shared/domain/ports.js';
import { SandboxEventBus } from './event-bus.js';
import { Journal } from './journal.js';

export class JournaledEventBus extends SandboxEventBus {
  private constructor(
    private readonly journal: Journal<BusEvent>,
    keep?: number,
  ) {
    super(keep);
  }

  static open(path: string, keep?: number): JournaledEventBus {
    const { journal, entries } = Journal.open<BusEvent>(path);
    const bus = new JournaledEventBus(journal, keep);
    bus.remember(entries);
    return bus;
  }

  override async publish(events: BusEvent[]): Promise<void> {
    for (const event of events) this.journal.append(event);
    await super.publish(events);
  }

  close(): void {
    this.journal.close();
  }
}
