/** The sandbox's EventBridge: keeps what is published, listed at GET /sandbox/events. */
import type { BusEvent, EventBus } from '../shared/domain/ports.js';

export class SandboxEventBus implements EventBus {
  readonly events: BusEvent[] = [];

  async publish(events: BusEvent[]): Promise<void> {
    this.events.push(...events);
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
