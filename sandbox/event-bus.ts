/**
 * The sandbox's EventBridge: keeps the latest events published (KEEP_EVENTS by default), listed
 * at GET /sandbox/events. Older ones are dropped, so a long-lived sandbox does not grow with every
 * link (with a data dir, the journal on disk still has them all).
 */
import type { BusEvent, EventBus } from '../shared/domain/ports.js';

export const KEEP_EVENTS = 10_000;

export class SandboxEventBus implements EventBus {
  readonly events: BusEvent[] = [];

  constructor(private readonly keep = KEEP_EVENTS) {}

  async publish(events: BusEvent[]): Promise<void> {
    this.remember(events);
  }

  /** Adds events to the list, dropping the oldest beyond `keep`. */
  protected remember(events: BusEvent[]): void {
    this.events.push(...events);
    if (this.events.length > this.keep) this.events.splice(0, this.events.length - this.keep);
  }

  /** The shape of EventBridge events as subscribers receive them (event id inside `detail`). */
  list(): Array<{ source: string; 'detail-type': string; detail: Record<string, unknown>; time: string }> {
    return this.events.map((e) => ({
      source: e.source,
      'detail-type': e['detail-type'],
      detail: { event_id: e.id, ...e.detail },
      time: e.time,
    }));
  }
}
