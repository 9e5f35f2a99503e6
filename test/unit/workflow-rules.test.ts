/**
 * Reminder times at their boundaries, the tasks for a link that is gone, expiry losing a race, and
 * the optimistic write loop's bound (shared/domain/workflow/workflow.ts, shared/domain/link/write.ts).
 * Values written out (issue 9, mutation testing).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VersionConflictError } from '../../shared/domain/errors.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import { updateLink } from '../../shared/domain/link/write.js';
import type { NotificationRequest } from '../../shared/domain/notifications/notifications.js';
import { expireLink, reminderTimes, sendReminders } from '../../shared/domain/workflow/workflow.js';
import { FixedClock, MemoryLinkStore } from '../support/fakes.js';
import { storedLink } from '../support/fixtures.js';

const CREATED_AT = '2025-03-01T10:00:00.000Z';
const created = new Date(CREATED_AT);
/** A link created at CREATED_AT, sent by email and SMS, that expires at `expires_at`. */
const link = (expires_at: string, changes: Partial<PaymentLink> = {}) => storedLink({ created_at: CREATED_AT, expires_at, ...changes });
const policy = { before_expiry: ['PT24H'], min_lifetime: 'PT48H' };

describe('reminder times', () => {
  it('are none without a schedule of the link or a default of the merchant', () => {
    expect(reminderTimes(link('2025-03-05T10:00:00.000Z'), undefined, created)).toEqual([]);
  });

  it('follow the merchant default only for a link that lives longer than min_lifetime (48 h: not 36 h, not exactly 48 h)', () => {
    // 36 h: the 24 h reminder would be 12 h after creation, still ahead; the link is too short for it.
    expect(reminderTimes(link('2025-03-02T22:00:00.000Z'), policy, created)).toEqual([]);
    expect(reminderTimes(link('2025-03-03T10:00:00.000Z'), policy, created)).toEqual([]);
    expect(reminderTimes(link('2025-03-03T10:00:01.000Z'), policy, created)).toEqual(['2025-03-02T10:00:01.000Z']);
    // No min_lifetime: every link that has time for the reminder.
    expect(reminderTimes(link('2025-03-02T22:00:00.000Z'), { before_expiry: ['PT24H'] }, created)).toEqual(['2025-03-01T22:00:00.000Z']);
  });

  it('skip a reminder that would go at the moment of creation (the initial send goes then) and one at the moment of expiry', () => {
    expect(reminderTimes(link('2025-03-02T10:00:00.000Z', { reminder_schedule: ['PT24H'] }), undefined, created)).toEqual([]);
    expect(reminderTimes(link('2025-03-02T10:00:01.000Z', { reminder_schedule: ['PT24H'] }), undefined, created)).toEqual(['2025-03-01T10:00:01.000Z']);
    expect(reminderTimes(link('2025-03-02T10:00:00.000Z', { reminder_schedule: ['PT0S', 'PT1H'] }), undefined, created)).toEqual(['2025-03-02T09:00:00.000Z']);
  });
});

describe('the workflow tasks for a link that no longer exists', () => {
  it('fail with "not found" and queue or write nothing', async () => {
    const links = new MemoryLinkStore();
    const clock = new FixedClock(new Date('2025-03-06T00:00:00.000Z'));
    const queued: NotificationRequest[] = [];
    const notificationQueue = { enqueue: async (r: NotificationRequest) => void queued.push(r) };
    await expect(sendReminders({ payment_link_id: 'gone', at: '2025-03-04T10:00:00.000Z' }, { links, clock, notificationQueue })).rejects.toThrow(
      'payment link gone not found',
    );
    expect(queued).toEqual([]);
    await expect(expireLink('gone', false, { links, clock })).rejects.toThrow('payment link gone not found');
    expect(links.links.size).toBe(0);
  });
});

/** A store where another writer commits `concurrent` just before this writer's first write. */
class RacedLinkStore extends MemoryLinkStore {
  constructor(private concurrent: ((current: PaymentLink) => PaymentLink) | undefined) {
    super();
  }
  override async update(link: PaymentLink, expectedVersion: number): Promise<void> {
    const race = this.concurrent;
    this.concurrent = undefined;
    if (race) {
      const current = (await this.get(link.id))!;
      await super.update({ ...race(current), version: current.version + 1 }, current.version);
    }
    return super.update(link, expectedVersion);
  }
}

describe('expiry that loses a race', () => {
  const clock = () => new FixedClock(new Date('2025-03-05T14:30:00.000Z'));

  it('reads again: a link paid just before the expiry write stays PAID', async () => {
    const links = new RacedLinkStore((l) => ({ ...l, status: 'PAID', payments: [{ id: 'p-1', authorization_status: 'AUTHORIZED' }] }));
    await links.create(storedLink({ status: 'OPENED', version: 2 }));
    expect(await expireLink(storedLink().id, false, { links, clock: clock() })).toEqual({ outcome: 'unchanged', status: 'PAID' });
    expect((await links.get(storedLink().id))).toMatchObject({ status: 'PAID', version: 3 });
  });

  it('reads again: a link opened just before the expiry write is expired on the next attempt', async () => {
    const links = new RacedLinkStore((l) => ({ ...l, status: 'OPENED' }));
    await links.create(storedLink());
    expect(await expireLink(storedLink().id, false, { links, clock: clock() })).toEqual({ outcome: 'expired', status: 'EXPIRED' });
    expect((await links.get(storedLink().id))).toMatchObject({ status: 'EXPIRED', version: 3, updated_at: '2025-03-05T14:30:00.000Z' });
  });
});

describe('the optimistic write loop', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives up after 10 lost races, with the conflict (the caller retries the whole message)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // no wait between attempts
    let reads = 0;
    const links = new MemoryLinkStore();
    links.update = async () => {
      throw new VersionConflictError('conflict');
    };
    const load = async () => {
      reads++;
      return storedLink();
    };
    const err = await updateLink(load, (current) => ({ next: { ...current, status: 'OPENED' }, value: 'opened' }), { links, clock: new FixedClock() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionConflictError);
    expect(reads).toBe(10);
  });
});
