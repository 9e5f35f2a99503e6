/**
 * The sandbox bus keeps the latest events for GET /sandbox/events, not every event it ever saw
 * (issue 9, item 12: with the ended workflow executions, the bus's list was what a long-lived
 * sandbox kept of every link, about 1.7 KB a link, and never gave back).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxEventBus } from '../../sandbox/event-bus.js';
import { JournaledEventBus } from '../../sandbox/journaled-event-bus.js';
import type { BusEvent } from '../../shared/domain/ports.js';

const event = (n: number): BusEvent => ({
  id: `evt-${n}`,
  source: 'paylink',
  'detail-type': 'Payment Link Created',
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  detail: { payment_link_id: `pl-${n}` },
});

const dir = mkdtempSync(join(tmpdir(), 'paylink-bus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the sandbox event bus', () => {
  it('lists the latest `keep` events, oldest first', async () => {
    const bus = new SandboxEventBus(3);
    await bus.publish([event(1), event(2)]);
    await bus.publish([event(3), event(4), event(5)]);
    expect(bus.list().map((e) => e.detail.event_id)).toEqual(['evt-3', 'evt-4', 'evt-5']);
  });

  it('keeps 10,000 by default, as the README says', async () => {
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain('| Events published on the bus (the latest 10,000) |');
    const bus = new SandboxEventBus();
    await bus.publish(Array.from({ length: 10_005 }, (_, i) => event(i)));
    expect(bus.events).toHaveLength(10_000);
    expect(bus.events[0]!.id).toBe('evt-5');
  });

  it('reopened from its journal, keeps the latest too', async () => {
    const path = join(dir, 'events.jsonl');
    const first = JournaledEventBus.open(path, 2);
    await first.publish([event(1), event(2), event(3)]);
    first.close();
    const again = JournaledEventBus.open(path, 2);
    expect(again.events.map((e) => e.id)).toEqual(['evt-2', 'evt-3']);
    again.close();
  });
});
