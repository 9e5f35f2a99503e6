/** EventBus on Amazon EventBridge. PutEvents takes at most 10 entries; a partial failure throws so
 * that the stream record is retried (consumers dedupe on the deterministic event id in `detail`). */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { BusEvent, EventBus } from '../domain/ports.js';

export function putEventsEntries(events: BusEvent[], busName: string): PutEventsRequestEntry[] {
  return events.map((e) => ({
    EventBusName: busName,
    Source: e.source,
    DetailType: e['detail-type'],
    Detail: JSON.stringify({ event_id: e.id, ...e.detail }),
    Time: new Date(e.time),
  }));
}

export class EventBridgeBus implements EventBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: BusEvent[]): Promise<void> {
    const entries = putEventsEntries(events, this.busName);
    for (let i = 0; i < entries.length; i += 10) {
      const out = await this.client.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = (out.Entries ?? []).flatMap((e) => (e.ErrorCode ? [e.ErrorCode] : []));
        throw new Error(`EventBridge rejected ${out.FailedEntryCount} event(s): ${[...new Set(codes)].join(', ')}`);
      }
    }
  }
}
