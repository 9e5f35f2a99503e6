/**
 * The workflow's tasks re-check the clock (issue 9, item 1): a reminder task woken before its time
 * queues nothing, an expiry task woken before expires_at (or, after a deferral, before
 * expires_at + grace) writes nothing; each answers `early` with the time it is due, so the state
 * machine waits again. 1 s of tolerance: Step Functions truncates a Wait's timestamp to the second.
 */
import { describe, expect, it } from 'vitest';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import { notificationId, type NotificationRequest } from '../../shared/domain/notifications/notifications.js';
import type { NotificationQueue } from '../../shared/domain/ports.js';
import { expireLink, sendReminders } from '../../shared/domain/workflow/workflow.js';
import { FixedClock, MemoryLinkStore, demoMerchant, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';

const DAY = 86_400_000;
const CREATED_AT = Date.parse('2026-01-15T10:00:00.000Z');
const EXPIRES_AT = '2026-03-16T10:00:00.000Z'; // 60 days after creation
const REMINDER_AT = '2026-02-14T10:00:00.000Z'; // 30 days after creation

class MemoryNotificationQueue implements NotificationQueue {
  readonly requests: NotificationRequest[] = [];
  async enqueue(request: NotificationRequest): Promise<void> {
    this.requests.push(request);
  }
}

async function setup() {
  const links = new MemoryLinkStore();
  const clock = new FixedClock(new Date(CREATED_AT));
  const link = await createPaymentLink(
    createLinkBody({ entity_id: demoMerchant.entity_id, expires_at: EXPIRES_AT, send_by_email: true, customer: { email: 'jane@example.org' } }) as CreatePaymentLinkInput,
    demoMerchant,
    { links, clock, ids: sequentialIds(), urlPolicy: 'production' },
  );
  const queue = new MemoryNotificationQueue();
  /** Puts the clock `ms` after (or before, if negative) an ISO time. */
  const at = (iso: string, ms: number) => clock.advance(Date.parse(iso) + ms - clock.now().getTime());
  const setStatus = async (status: 'PAYMENT_IN_PROGRESS' | 'OPENED') => {
    const current = (await links.get(link.id))!;
    await links.update({ ...current, status, version: current.version + 1 }, current.version);
  };
  return { links, clock, link, queue, deps: { links, clock, notificationQueue: queue }, at, setStatus };
}

describe('the reminder task woken early', () => {
  it('queues nothing and answers when it is due, right after creation', async () => {
    const { link, queue, deps } = await setup();
    expect(await sendReminders({ payment_link_id: link.id, at: REMINDER_AT }, deps)).toEqual({ outcome: 'early', due_at: REMINDER_AT });
    expect(queue.requests).toEqual([]);
  });

  it('queues nothing 1,001 ms before its time, and reminds from 1,000 ms before (Step Functions wakes on the second)', async () => {
    const { link, queue, deps, at } = await setup();
    at(REMINDER_AT, -1001);
    expect(await sendReminders({ payment_link_id: link.id, at: REMINDER_AT }, deps)).toEqual({ outcome: 'early', due_at: REMINDER_AT });
    expect(queue.requests).toEqual([]);
    at(REMINDER_AT, -1000);
    expect(await sendReminders({ payment_link_id: link.id, at: REMINDER_AT }, deps)).toEqual({ outcome: 'due', reminded: ['EMAIL'] });
    expect(queue.requests).toEqual([{ id: notificationId(link.id, 'EMAIL', 'REMINDER', REMINDER_AT), payment_link_id: link.id, channel: 'EMAIL', kind: 'REMINDER' }]);
  });

  it('reminds when woken late too', async () => {
    const { link, queue, deps, at } = await setup();
    at(REMINDER_AT, 3 * DAY);
    expect(await sendReminders({ payment_link_id: link.id, at: REMINDER_AT }, deps)).toEqual({ outcome: 'due', reminded: ['EMAIL'] });
    expect(queue.requests).toHaveLength(1);
  });
});

describe('the expiry task woken early', () => {
  it('leaves the link as it is and answers expires_at, right after creation and 1,001 ms before', async () => {
    const { links, link, deps, at } = await setup();
    expect(await expireLink(link.id, false, deps)).toEqual({ outcome: 'early', status: 'CREATED', due_at: EXPIRES_AT });
    at(EXPIRES_AT, -1001);
    expect(await expireLink(link.id, false, deps)).toEqual({ outcome: 'early', status: 'CREATED', due_at: EXPIRES_AT });
    expect(await links.get(link.id)).toEqual(link);
  });

  it('expires from 1,000 ms before expires_at', async () => {
    const { links, link, deps, at } = await setup();
    at(EXPIRES_AT, -1000);
    expect(await expireLink(link.id, false, deps)).toEqual({ outcome: 'expired', status: 'EXPIRED' });
    expect((await links.get(link.id))?.status).toBe('EXPIRED');
  });

  it('defers a payment in progress until expires_at + grace, and does not expire it before then', async () => {
    const { links, link, deps, at, setStatus } = await setup();
    await setStatus('OPENED');
    await setStatus('PAYMENT_IN_PROGRESS');
    const graceEnd = new Date(Date.parse(EXPIRES_AT) + 900_000).toISOString();
    at(EXPIRES_AT, 0);
    expect(await expireLink(link.id, false, deps)).toEqual({ outcome: 'deferred', status: 'PAYMENT_IN_PROGRESS', due_at: graceEnd });
    const before = await links.get(link.id);
    // The grace-period run woken early (right after the deferral, and 1,001 ms before its end) changes nothing.
    expect(await expireLink(link.id, true, deps)).toEqual({ outcome: 'early', status: 'PAYMENT_IN_PROGRESS', due_at: graceEnd });
    at(graceEnd, -1001);
    expect(await expireLink(link.id, true, deps)).toEqual({ outcome: 'early', status: 'PAYMENT_IN_PROGRESS', due_at: graceEnd });
    expect(await links.get(link.id)).toEqual(before);
    at(graceEnd, -1000);
    expect(await expireLink(link.id, true, deps)).toEqual({ outcome: 'expired', status: 'EXPIRED' });
  });

  it('takes the grace period the execution was started with', async () => {
    const { link, deps, at, setStatus } = await setup();
    await setStatus('PAYMENT_IN_PROGRESS');
    at(EXPIRES_AT, 0);
    const graceEnd = new Date(Date.parse(EXPIRES_AT) + 5000).toISOString();
    expect(await expireLink(link.id, false, deps, 5)).toEqual({ outcome: 'deferred', status: 'PAYMENT_IN_PROGRESS', due_at: graceEnd });
    at(EXPIRES_AT, 2000);
    expect(await expireLink(link.id, true, deps, 5)).toEqual({ outcome: 'early', status: 'PAYMENT_IN_PROGRESS', due_at: graceEnd });
    at(graceEnd, 0);
    expect(await expireLink(link.id, true, deps, 5)).toEqual({ outcome: 'expired', status: 'EXPIRED' });
  });
});
