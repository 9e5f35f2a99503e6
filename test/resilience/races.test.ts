/**
 * Races (issue 9, the suite that keeps looking): real concurrency against dynalite, no mock of the
 * store. The provider-webhook consumer is invoked once per notification, all at once (as Lambda
 * scales out over the queue), together with the cancel route, the workflow's expiry and reminder
 * tasks and the notifier.
 * Every race must end in one of its legal outcomes, never a mix: the final state of each link, its
 * published events and its merchant-webhook records are asserted exactly, and the counts printed.
 *
 * The sandbox provider records its notifications without sending them (pspDeliverWebhooks: false):
 * the test delivers them itself, at the moment of the race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeNotifier } from '../../functions/notifier/handler.js';
import { makeHandler as makeConsumer } from '../../functions/provider-webhook-consumer/handler.js';
import { makeHandler as makeExpire } from '../../functions/workflow-expire/handler.js';
import { makeHandler as makeReminder } from '../../functions/workflow-reminder/handler.js';
import { lambdaContext } from '../../sandbox/lambda-context.js';
import { QUEUES } from '../../shared/app/queues.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { notificationId } from '../../shared/domain/notifications/notifications.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { ShiftedClock, invokeConcurrently, providerEventMessage, type ConcurrentRun } from '../support/concurrency.js';
import { createLinkBody } from '../support/fixtures.js';
import { MerchantEndpoint } from '../support/merchant-endpoint.js';
import { CARDS, card, openHostedPage, postForm } from '../support/shopper.js';

const PATH = '/payment/v2/payment-links';
const clock = new ShiftedClock();
const ctx = useSandboxWithMerchants(beforeAll, afterAll, { pspDeliverWebhooks: false, clock });
let endpoint: MerchantEndpoint;
beforeAll(async () => {
  endpoint = await new MerchantEndpoint().start();
});
afterAll(async () => {
  await endpoint.stop();
});

/** Links per race whose outcome may go either way. */
const LINKS_PER_RACE = 8;

async function newLink(overrides: Record<string, unknown> = {}): Promise<PaymentLinkResource> {
  const r = await ctx.m1.post<PaymentLinkResource>(PATH, createLinkBody({ shopper_redirection_url: 'http://localhost:9999/back', webhook: { url: endpoint.url }, ...overrides }));
  expect(r.status, r.text).toBe(201);
  return r.body;
}

/** Opens `tabs` client sessions and pays each with the authorizing card; returns the provider's
 * AUTHORIZED notifications, recorded but not delivered yet. */
async function authorizedAtProvider(link: PaymentLinkResource, tabs = 1): Promise<string[]> {
  for (let i = 0; i < tabs; i += 5) {
    const chunk = Math.min(5, tabs - i);
    const pages = await Promise.all(Array.from({ length: chunk }, () => openHostedPage(link.links.customer_url.href)));
    await Promise.all(pages.map((hosted) => postForm(hosted, card(CARDS.authorized))));
  }
  const events = ctx.sb.psp.events().filter((e) => e.payment.payment_link_id === link.id && e.payment.authorization_status === 'AUTHORIZED');
  expect(events).toHaveLength(tabs);
  return events.map((e) => e.body);
}

/** Delivers provider notifications to the consumer, all at once. */
function consume(bodies: string[]): Promise<ConcurrentRun> {
  return invokeConcurrently(makeConsumer(ctx.sb.deps), bodies.map((b) => providerEventMessage(b)), {
    functionName: 'provider-webhook-consumer',
    maxReceives: QUEUES.providerEvents.maxReceives,
  });
}

/** What a link went through, as subscribers saw it: bus events and merchant-webhook records. */
async function history(linkId: string) {
  const events = ctx.sb.bus.events.filter((e) => e.detail.payment_link_id === linkId);
  const of = (type: string) => events.filter((e) => e['detail-type'] === type);
  const deliveries = await ctx.sb.deps.deliveries.listForLink(linkId);
  const data = (body: string) => (JSON.parse(body) as { data: Record<string, unknown> }).data;
  return {
    statuses: of('Payment Link Status Changed').map((e) => e.detail.status),
    payments: of('Payment Status Changed').map((e) => `${String(e.detail.payment_id)}:${String(e.detail.authorization_status)}`),
    late: of('Payment Link Late Payment').map((e) => `${String(e.detail.payment_id)}:${String(e.detail.settlement)}`),
    linkWebhooks: deliveries.filter((d) => d.type === 'payment_link.status_changed').map((d) => data(d.body).status),
    paymentWebhooks: deliveries.filter((d) => d.type === 'payment.status_changed').map((d) => `${String(data(d.body).id)}:${String(data(d.body).authorization_status)}`),
    eventIds: new Set(deliveries.map((d) => d.event_id)).size,
    deliveries: deliveries.length,
  };
}

const stored = async (id: string) => (await ctx.sb.deps.links.get(id))!;

/**
 * Starts `start` after `reads` reads of the link: the i-th link of a race gives the party that
 * usually wins a head start of i round trips to the table for the other, so that each race ends
 * both ways across its links (which way each one goes is not asserted, only that it is legal).
 */
async function after<T>(reads: number, linkId: string, start: () => Promise<T>): Promise<T> {
  for (let i = 0; i < reads; i++) await ctx.sb.deps.links.get(linkId);
  return start();
}
const sorted = (values: string[]) => [...values].sort();

/** The one payment of a link that lost its race: settled at the provider and reported. */
async function expectSettledLatePayment(link: PaymentLink, captureMode: 'MANUAL' | 'AUTOMATIC') {
  const [payment] = link.payments;
  const refund = captureMode === 'AUTOMATIC';
  expect(payment).toMatchObject({ authorization_status: 'AUTHORIZED', late_settlement: refund ? 'REFUNDED' : 'VOIDED' });
  const atProvider = ctx.sb.psp.payment(payment!.id)!;
  expect(refund ? atProvider.refunded_amount : atProvider.voided).toBe(refund ? link.amount : true);
  const h = await history(link.id);
  expect(h.late).toEqual([`${payment!.id}:${refund ? 'REFUND' : 'VOID'}`]);
  expect(h.payments).toEqual([`${payment!.id}:AUTHORIZED`]);
  expect(h.paymentWebhooks).toEqual([`${payment!.id}:AUTHORIZED`]);
}

/** The one payment of a link that won its race: kept, not voided or refunded, nothing late. */
async function expectKeptPayment(link: PaymentLink) {
  expect(link.status).toBe('PAID');
  const [payment] = link.payments;
  expect(payment).toMatchObject({ authorization_status: 'AUTHORIZED' });
  expect(payment!.late_settlement).toBeUndefined();
  const atProvider = ctx.sb.psp.payment(payment!.id)!;
  expect([atProvider.voided, atProvider.refunded_amount]).toEqual([false, 0]);
  const h = await history(link.id);
  expect(h.late).toEqual([]);
  expect(h.paymentWebhooks).toEqual([`${payment!.id}:AUTHORIZED`]);
  expect([h.statuses, h.linkWebhooks]).toEqual([
    ['CREATED', 'OPENED', 'PAID'],
    ['OPENED', 'PAID'],
  ]);
}

function report(race: string, counts: Record<string, number>) {
  console.log(`[races] ${race}: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

describe('races on one link, against dynalite', () => {
  it('50 concurrent authorizations: exactly one pays, the 49 others are voided and reported', async () => {
    const N = 50;
    const link = await newLink({ capture_mode: 'MANUAL' });
    const bodies = await authorizedAtProvider(link, N);
    const run = await consume(bodies);
    await ctx.sb.settle();

    expect(run.deadLettered).toEqual([]);
    const after = await stored(link.id);
    expect(after.status).toBe('PAID');
    expect(after.payments).toHaveLength(N);
    const winners = after.payments.filter((p) => p.late_settlement === undefined);
    const late = after.payments.filter((p) => p.late_settlement !== undefined);
    expect(winners).toHaveLength(1);
    expect(late.map((p) => p.late_settlement)).toEqual(Array(N - 1).fill('VOIDED'));
    expect(late.every((p) => ctx.sb.psp.payment(p.id)?.voided === true)).toBe(true);
    expect(ctx.sb.psp.payment(winners[0]!.id)?.voided).toBe(false);
    // Every write counted: creation, N opens, N payments, N - 1 voids recorded.
    expect(after.version).toBe(1 + N + N + (N - 1));

    const h = await history(link.id);
    const everyPayment = sorted(after.payments.map((p) => `${p.id}:AUTHORIZED`));
    expect(h.statuses).toEqual(['CREATED', 'OPENED', 'PAID']);
    expect(sorted(h.payments)).toEqual(everyPayment);
    expect(sorted(h.late)).toEqual(sorted(late.map((p) => `${p.id}:VOID`)));
    expect(h.linkWebhooks).toEqual(['OPENED', 'PAID']);
    expect(sorted(h.paymentWebhooks)).toEqual(everyPayment);
    expect(h.eventIds).toBe(h.deliveries);
    const outcomes = ctx.logs.filter((l) => l.message === 'provider event applied' && l.payment_link_id === link.id).map((l) => String(l.outcome));
    report('50 authorizations', {
      invocations: run.invocations,
      redelivered: run.redelivered,
      applied: outcomes.filter((o) => o === 'applied').length,
      late: outcomes.filter((o) => o === 'late_payment').length,
      events: h.statuses.length + h.payments.length + h.late.length,
      webhooks: h.deliveries,
    });
  });

  it('cancel racing a payment: CANCELLED with the payment voided or refunded, or PAID with the cancel refused — never both', async () => {
    const links = await Promise.all(
      Array.from({ length: LINKS_PER_RACE }, async (_, i) => {
        const capture = i % 2 === 0 ? 'MANUAL' : 'AUTOMATIC';
        const link = await newLink({ capture_mode: capture });
        return { link, capture, bodies: await authorizedAtProvider(link) } as const;
      }),
    );
    const raced = await Promise.all(
      links.map(async ({ link, bodies }, i) => {
        const [cancel, run] = await Promise.all([ctx.m1.post<PaymentLinkResource>(`${PATH}/${link.id}/cancel`), after(i, link.id, () => consume(bodies))]);
        return { cancel, run };
      }),
    );
    await ctx.sb.settle();

    let cancelled = 0;
    let paid = 0;
    for (const [i, { link, capture }] of links.entries()) {
      const { cancel, run } = raced[i]!;
      expect(run.deadLettered).toEqual([]);
      const after = await stored(link.id);
      const h = await history(link.id);
      if (after.status === 'CANCELLED') {
        cancelled += 1;
        expect([cancel.status, cancel.body.status]).toEqual([200, 'CANCELLED']);
        await expectSettledLatePayment(after, capture);
        expect([h.statuses, h.linkWebhooks]).toEqual([
          ['CREATED', 'OPENED', 'CANCELLED'],
          ['OPENED', 'CANCELLED'],
        ]);
      } else {
        paid += 1;
        // README: cancelling a PAID link is a 400 that names the status.
        expect([cancel.status, (JSON.parse(cancel.text) as { detail: string }).detail]).toEqual([400, 'a PAID payment link cannot be cancelled']);
        await expectKeptPayment(after);
      }
    }
    report('cancel vs payment', { links: LINKS_PER_RACE, cancelled_first: cancelled, paid_first: paid });
  });

  it('two cancels: exactly one status change, one event and one merchant webhook', async () => {
    const links = await Promise.all(Array.from({ length: LINKS_PER_RACE }, () => newLink()));
    const replies = await Promise.all(links.map((l) => Promise.all([0, 1].map(() => ctx.m1.post<PaymentLinkResource>(`${PATH}/${l.id}/cancel`)))));
    await ctx.sb.settle();
    for (const [i, link] of links.entries()) {
      const [a, b] = replies[i]!;
      expect([a!.status, b!.status]).toEqual([200, 200]);
      expect(b!.body).toEqual(a!.body);
      expect(await stored(link.id)).toMatchObject({ status: 'CANCELLED', version: 2 });
      const h = await history(link.id);
      expect([h.statuses, h.linkWebhooks, h.deliveries]).toEqual([['CREATED', 'CANCELLED'], ['CANCELLED'], 1]);
    }
    report('two cancels', { links: LINKS_PER_RACE, status_changes: LINKS_PER_RACE, webhooks: LINKS_PER_RACE });
  });

  it('a reminder racing PAID: each reminder sent at most once and recorded; none once PAID is committed', async () => {
    const links = await Promise.all(
      Array.from({ length: LINKS_PER_RACE }, async (_, i) => {
        const email = `race-${i}-${Date.now()}@example.com`;
        const link = await newLink({ customer: { email }, send_by_email: true });
        return { link, email, bodies: await authorizedAtProvider(link) };
      }),
    );
    await ctx.sb.settle(); // the initial emails are out
    const reminderTask = makeReminder(ctx.sb.deps);
    const notifier = makeNotifier(ctx.sb.deps);
    const notify = (linkId: string, at: string) =>
      invokeConcurrently(notifier, [JSON.stringify({ id: notificationId(linkId, 'EMAIL', 'REMINDER', at), payment_link_id: linkId, channel: 'EMAIL', kind: 'REMINDER' })], {
        functionName: 'notifier',
        maxReceives: QUEUES.notifications.maxReceives,
      });
    const emailsTo = async (to: string) => (await ctx.sb.ses.fetchEmails()).filter((e) => e.destination.to.includes(to)).length;
    const reminders = (link: PaymentLink) => (link.notifications ?? []).filter((n) => n.kind === 'REMINDER');

    // At once, per link: the workflow's reminder task (it queues a reminder for the sandbox's
    // notifier), a notifier already sending another reminder, and the payment.
    const taskAt = clock.now().toISOString();
    clock.advance(1);
    const sendingAt = clock.now().toISOString();
    await Promise.all(
      links.map(({ link, bodies }, i) =>
        Promise.all([reminderTask({ payment_link_id: link.id, at: taskAt }, lambdaContext('workflow-reminder')), notify(link.id, sendingAt), after(i, link.id, () => consume(bodies))]),
      ),
    );
    await ctx.sb.settle();
    let reminded = 0;
    let recordedAfterPaid = 0;
    for (const { link, email } of links) {
      const paid = await stored(link.id);
      await expectKeptPayment(paid);
      const sent = reminders(paid);
      expect(sent.length).toBeLessThanOrEqual(2);
      expect(new Set(sent.map((n) => n.id)).size).toBe(sent.length);
      expect(await emailsTo(email)).toBe(1 + sent.length); // the initial email, and each reminder recorded once
      reminded += sent.length;
      const events = ctx.sb.bus.events.filter((e) => e.detail.payment_link_id === link.id);
      const paidVersion = Number(events.find((e) => e.detail.status === 'PAID')!.detail.version);
      recordedAfterPaid += events.filter((e) => e.detail.kind === 'REMINDER' && Number(e.detail.version) > paidVersion).length;
    }

    // PAID committed: a reminder that comes now is neither queued nor sent.
    clock.advance(1);
    const afterPaid = clock.now().toISOString();
    const tasks = await Promise.all(links.map(({ link }) => reminderTask({ payment_link_id: link.id, at: afterPaid }, lambdaContext('workflow-reminder'))));
    expect(tasks.map((t) => t.reminded)).toEqual(Array(LINKS_PER_RACE).fill([]));
    await Promise.all(links.map(({ link }) => notify(link.id, afterPaid)));
    await ctx.sb.settle();
    const outcomes = ctx.logs.filter((l) => l.message === 'notification' && String(l.notification_id).endsWith(afterPaid)).map((l) => l.outcome);
    expect(outcomes).toEqual(Array(LINKS_PER_RACE).fill('skipped'));
    for (const { link, email } of links) expect(await emailsTo(email)).toBe(1 + reminders(await stored(link.id)).length);
    // A reminder decided on a read just before PAID may be recorded (and reach the customer) after
    // it: that is the race itself, counted here; nothing decided after PAID goes out (asserted above).
    report('reminder vs PAID', { links: LINKS_PER_RACE, reminders_sent: reminded, recorded_after_paid: recordedAfterPaid, skipped_once_paid: outcomes.length });
  });

  // Last: it moves the sandbox's clock past the links' expiry (later races would see it too).
  it('expiry racing a payment: EXPIRED with the payment voided or refunded, or PAID and the link left alone — never both', async () => {
    const links = await Promise.all(
      Array.from({ length: LINKS_PER_RACE }, async (_, i) => {
        const capture = i % 2 === 0 ? 'MANUAL' : 'AUTOMATIC';
        const link = await newLink({ capture_mode: capture, expiration_in_minutes: 2 });
        return { link, capture, bodies: await authorizedAtProvider(link) } as const;
      }),
    );
    clock.advance(3 * 60_000); // past every expires_at, for the expiry task; the sandbox's own timers keep real time
    const expire = makeExpire(ctx.sb.deps);
    const raced = await Promise.all(
      links.map(async ({ link, bodies }, i) => {
        const expiring = after(i, link.id, () => expire({ payment_link_id: link.id, grace_over: false }, lambdaContext('workflow-expire')));
        const [expiry, run] = await Promise.all([expiring, consume(bodies)]);
        return { expiry, run };
      }),
    );
    await ctx.sb.settle();

    let expired = 0;
    let paid = 0;
    for (const [i, { link, capture }] of links.entries()) {
      const { expiry, run } = raced[i]!;
      expect(run.deadLettered).toEqual([]);
      const after = await stored(link.id);
      const h = await history(link.id);
      if (after.status === 'EXPIRED') {
        expired += 1;
        expect(expiry).toMatchObject({ outcome: 'expired', status: 'EXPIRED' });
        await expectSettledLatePayment(after, capture);
        expect([h.statuses, h.linkWebhooks]).toEqual([
          ['CREATED', 'OPENED', 'EXPIRED'],
          ['OPENED', 'EXPIRED'],
        ]);
      } else {
        paid += 1;
        expect(expiry).toMatchObject({ outcome: 'unchanged', status: 'PAID' });
        await expectKeptPayment(after);
      }
    }
    report('expiry vs payment', { links: LINKS_PER_RACE, expired_first: expired, paid_first: paid });
  });
});
