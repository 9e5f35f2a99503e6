import { describe, expect, it } from 'vitest';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../../shared/domain/errors.js';
import { RateLimitedError, notificationId, processNotification, requestResend, type NotificationRequest } from '../../shared/domain/notifications/notifications.js';
import type { Mailer, MessageRenderer, OutgoingEmail, SmsSender, SuppressionList } from '../../shared/domain/ports.js';
import { smsNumber } from '../../shared/domain/link/model.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import { expireLink, reminderTimes, remindersDue, workflowInput } from '../../shared/domain/workflow/workflow.js';
import { parseDurationMs } from '../../shared/domain/link/reminder-schedule.js';
import { FixedClock, MemoryLinkStore, MemoryMerchantDirectory, demoMerchant, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';

const HOUR = 3600_000;
const urls = { apiBaseUrl: 'https://api.example.com', payBaseUrl: 'https://pay.example.com' };
const withContact = { customer: { email: 'jane@example.com', locale: 'fr-FR', mobile_phone_number: '+33612345678' } };

async function setup(overrides: Record<string, unknown> = {}) {
  const links = new MemoryLinkStore();
  const clock = new FixedClock();
  const link = await createPaymentLink(createLinkBody({ entity_id: demoMerchant.entity_id, ...overrides }) as CreatePaymentLinkInput, demoMerchant, {
    links,
    clock,
    ids: sequentialIds(),
    urlPolicy: 'production',
  });
  return { links, clock, link };
}

async function fieldErrors(promise: Promise<unknown>): Promise<string[]> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ValidationError) return err.errors.map((e) => e.pointer);
    throw err;
  }
  return [];
}

describe('creating a link that is sent to the customer', () => {
  it('needs customer.email for send_by_email and an E.164 mobile number for send_by_sms', async () => {
    expect(await fieldErrors(setup({ send_by_email: true }))).toEqual(['/customer/email']);
    expect(await fieldErrors(setup({ send_by_sms: true, customer: { email: 'a@b.co' } }))).toEqual(['/customer/mobile_phone_number']);
    expect(await fieldErrors(setup({ send_by_email: true, send_by_sms: true, ...withContact }))).toEqual([]);
    // The billing address's mobile number serves too.
    const viaBilling = { order: { reference: 'o', billing_address: { mobile_phone_number: '+447700900123' } } };
    expect(await fieldErrors(setup({ send_by_sms: true, ...viaBilling }))).toEqual([]);
    expect(smsNumber({ order: viaBilling.order } as PaymentLink)).toBe('+447700900123');
  });

  it('validates reminder_schedule durations', async () => {
    expect(await fieldErrors(setup({ reminder_schedule: ['PT24H', 'tomorrow'] }))).toEqual(['/reminder_schedule/1']);
    expect(await fieldErrors(setup({ reminder_schedule: ['PT1H', 'PT2H', 'PT3H', 'PT4H', 'PT5H', 'PT6H'] }))).toEqual(['/reminder_schedule']);
  });
});

describe('reminder times', () => {
  it('parse ISO 8601 durations', () => {
    expect(parseDurationMs('PT24H')).toBe(24 * HOUR);
    expect(parseDurationMs('P1DT12H30M')).toBe(36.5 * HOUR);
    expect(parseDurationMs('PT90S')).toBe(90_000);
    for (const bad of ['P', 'PT', '24H', 'P1W', 'P1M', '']) expect(parseDurationMs(bad)).toBeUndefined();
  });

  it('use the link’s schedule, skip times already past, and sort', async () => {
    const { link, clock } = await setup({ send_by_email: true, ...withContact, expiration_in_minutes: 180, reminder_schedule: ['PT1H', 'PT4H', 'PT2H', 'PT1H'] });
    expect(reminderTimes(link, undefined, clock.now())).toEqual(['2026-01-15T11:00:00.000Z', '2026-01-15T12:00:00.000Z']);
  });

  it('fall back to the merchant default, only for links that live long enough', async () => {
    const policy = { before_expiry: ['PT24H'], min_lifetime: 'PT48H' };
    const long = await setup({ send_by_email: true, ...withContact, expiration_in_minutes: 72 * 60 });
    expect(reminderTimes(long.link, policy, long.clock.now())).toEqual(['2026-01-17T10:00:00.000Z']);
    const short = await setup({ send_by_email: true, ...withContact, expiration_in_minutes: 24 * 60 });
    expect(reminderTimes(short.link, policy, short.clock.now())).toEqual([]);
  });

  it('are none for a link sent on no channel', async () => {
    const { link, clock } = await setup({ reminder_schedule: ['PT1H'] });
    expect(workflowInput(link, undefined, clock.now())).toEqual({ payment_link_id: link.id, reminders: [], expires_at: link.expires_at, grace_seconds: 900 });
  });
});

describe('workflow tasks', () => {
  it('remind only CREATED and OPENED links, on the channels they were sent on', async () => {
    const { link } = await setup({ send_by_email: true, send_by_sms: true, ...withContact });
    expect(remindersDue(link)).toEqual(['EMAIL', 'SMS']);
    expect(remindersDue({ ...link, status: 'OPENED' })).toEqual(['EMAIL', 'SMS']);
    for (const status of ['PAYMENT_IN_PROGRESS', 'PAID', 'EXPIRED', 'CANCELLED'] as const) expect(remindersDue({ ...link, status })).toEqual([]);
  });

  it('expire CREATED links, defer PAYMENT_IN_PROGRESS until the grace is over, leave PAID alone', async () => {
    // Two days on: past expires_at and the grace period (the tasks do nothing before: workflow-early-tasks.test.ts).
    const a = await setup();
    a.clock.advance(48 * HOUR);
    expect(await expireLink(a.link.id, false, a)).toEqual({ outcome: 'expired', status: 'EXPIRED' });
    const b = await setup();
    b.clock.advance(48 * HOUR);
    await b.links.update({ ...b.link, status: 'PAYMENT_IN_PROGRESS', version: 2 }, 1);
    expect(await expireLink(b.link.id, false, b)).toEqual({ outcome: 'deferred', status: 'PAYMENT_IN_PROGRESS', due_at: expect.any(String) });
    expect(await expireLink(b.link.id, true, b)).toEqual({ outcome: 'expired', status: 'EXPIRED' });
    const c = await setup();
    c.clock.advance(48 * HOUR);
    await c.links.update({ ...c.link, status: 'PAID', version: 2 }, 1);
    expect(await expireLink(c.link.id, true, c)).toEqual({ outcome: 'unchanged', status: 'PAID' });
  });
});

class FakeMailer implements Mailer {
  sent: OutgoingEmail[] = [];
  failures = 0;
  async send(email: OutgoingEmail) {
    if (this.failures-- > 0) throw new Error('SES throttled');
    this.sent.push(email);
    return { message_id: `ses-${this.sent.length}` };
  }
}
class FakeSms implements SmsSender {
  sent: Array<{ phone_number: string; message: string }> = [];
  async send(sms: { phone_number: string; message: string }) {
    this.sent.push(sms);
    return { message_id: `sns-${this.sent.length}` };
  }
}
class FakeSuppressions implements SuppressionList {
  readonly entries = new Set<string>();
  async isSuppressed(entity: string, address: string) {
    return this.entries.has(`${entity}|${address.toLowerCase()}`);
  }
  async suppress(entity: string, address: string) {
    this.entries.add(`${entity}|${address.toLowerCase()}`);
  }
}
const renderer: MessageRenderer = {
  email: (_link, c) => ({ subject: `${c.kind} ${c.merchantName}`, html: `<a href="${c.customerUrl}">pay</a>`, text: c.customerUrl }),
  sms: (_link, c) => `${c.kind} ${c.customerUrl}`,
};

describe('processNotification', () => {
  async function notifier(overrides: Record<string, unknown> = {}) {
    const s = await setup({ send_by_email: true, send_by_sms: true, ...withContact, ...overrides });
    const deps = {
      links: s.links,
      clock: s.clock,
      merchants: new MemoryMerchantDirectory([demoMerchant], [], {}),
      mailer: new FakeMailer(),
      sms: new FakeSms(),
      suppressions: new FakeSuppressions(),
      renderer,
      urls: () => urls,
    };
    const request = (channel: 'EMAIL' | 'SMS', kind: NotificationRequest['kind'] = 'INITIAL'): NotificationRequest => ({
      id: notificationId(s.link.id, channel, kind),
      payment_link_id: s.link.id,
      channel,
      kind,
    });
    return { ...s, deps, request };
  }

  it('sends the email and the SMS once each and records them on the link', async () => {
    const { deps, request, links, link } = await notifier();
    expect(await processNotification(request('EMAIL'), deps)).toBe('sent');
    expect(await processNotification(request('SMS'), deps)).toBe('sent');
    expect(await processNotification(request('EMAIL'), deps)).toBe('duplicate');
    expect(deps.mailer.sent).toHaveLength(1);
    expect(deps.mailer.sent[0]).toMatchObject({ to: 'jane@example.com', subject: 'INITIAL Shop One', tags: { entity_id: 'm-1', payment_link_id: link.id } });
    expect(deps.mailer.sent[0]!.html).toContain(`https://pay.example.com/payment-links/${link.id}`);
    expect(deps.sms.sent).toEqual([{ phone_number: '+33612345678', message: `INITIAL https://pay.example.com/payment-links/${link.id}` }]);
    const stored = (await links.get(link.id))!;
    expect(stored.notifications?.map((n) => [n.channel, n.kind, n.status, n.message_id])).toEqual([
      ['EMAIL', 'INITIAL', 'SENT', 'ses-1'],
      ['SMS', 'INITIAL', 'SENT', 'sns-1'],
    ]);
  });

  it('skips a suppressed address and records that', async () => {
    const { deps, request, links, link } = await notifier();
    await deps.suppressions.suppress('m-1', 'JANE@example.com');
    expect(await processNotification(request('EMAIL'), deps)).toBe('suppressed');
    expect(deps.mailer.sent).toEqual([]);
    expect((await links.get(link.id))?.notifications?.[0]?.status).toBe('SUPPRESSED');
  });

  it('lets a failing send throw (the queue retries it) and then sends once', async () => {
    const { deps, request } = await notifier();
    deps.mailer.failures = 1;
    await expect(processNotification(request('EMAIL'), deps)).rejects.toThrow('SES throttled');
    expect(await processNotification(request('EMAIL'), deps)).toBe('sent');
    expect(deps.mailer.sent).toHaveLength(1);
  });

  it.each(['PAID', 'PAYMENT_IN_PROGRESS', 'EXPIRED', 'CANCELLED'] as const)('does not remind a link that is %s', async (status) => {
    const { deps, request, links, link } = await notifier();
    await links.update({ ...link, status, version: 2 }, 1);
    expect(await processNotification(request('EMAIL', 'REMINDER'), deps)).toBe('skipped');
    expect(await processNotification(request('SMS', 'REMINDER'), deps)).toBe('skipped');
    expect(deps.mailer.sent).toEqual([]);
    expect(deps.sms.sent).toEqual([]);
  });

  it.each(['CREATED', 'OPENED'] as const)('reminds a link that is %s (still waiting for a payment)', async (status) => {
    const { deps, request, links, link } = await notifier();
    if (status !== link.status) await links.update({ ...link, status, version: 2 }, 1);
    expect(await processNotification(request('EMAIL', 'REMINDER'), deps)).toBe('sent');
    expect(deps.mailer.sent).toHaveLength(1);
  });
});

describe('requestResend', () => {
  it('queues a resend with a fresh id, at most 5 per link per hour (429 after), counting per rolling hour', async () => {
    const { links, clock, link } = await setup({ send_by_email: true, ...withContact });
    const queued: NotificationRequest[] = [];
    const deps = { links, clock, notificationQueue: { enqueue: async (r: NotificationRequest) => void queued.push(r) } };
    // The limit and the window are written out (5, one hour), not read from the constants, so
    // that changing a constant fails here.
    for (let i = 0; i < 5; i++) await requestResend(link.id, 'EMAIL', demoMerchant, deps);
    expect(new Set(queued.map((q) => q.id)).size).toBe(5);
    const err = await requestResend(link.id, 'EMAIL', demoMerchant, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).status).toBe(429);
    expect((err as RateLimitedError).extensions.retry_after_seconds).toBe(3600);
    // Still limited a millisecond before the hour is over; free again once it is.
    clock.advance(59 * 60_000 + 59_999);
    await expect(requestResend(link.id, 'EMAIL', demoMerchant, deps)).rejects.toBeInstanceOf(RateLimitedError);
    clock.advance(1);
    await expect(requestResend(link.id, 'EMAIL', demoMerchant, deps)).resolves.toMatchObject({ kind: 'RESEND' });
    expect(queued).toHaveLength(6);
  });

  it('is 400 on a terminal link or without an address, 404 for another merchant', async () => {
    const { links, clock, link } = await setup({ send_by_email: true, ...withContact });
    const deps = { links, clock, notificationQueue: { enqueue: async () => undefined } };
    await expect(requestResend(link.id, 'SMS', demoMerchant, { ...deps, links: await withoutPhone(links, link) })).rejects.toBeInstanceOf(InvalidTransitionError);
    await expect(requestResend(link.id, 'EMAIL', { ...demoMerchant, entity_id: 'other' }, deps)).rejects.toBeInstanceOf(NotFoundError);
    const l = (await links.get(link.id))!;
    await links.update({ ...l, status: 'PAID', version: l.version + 1 }, l.version);
    await expect(requestResend(link.id, 'EMAIL', demoMerchant, deps)).rejects.toBeInstanceOf(InvalidTransitionError);
  });
});

async function withoutPhone(links: MemoryLinkStore, link: PaymentLink) {
  const l = (await links.get(link.id))!;
  await links.update({ ...l, customer: { email: 'jane@example.com' }, version: l.version + 1 }, l.version);
  return links;
}
