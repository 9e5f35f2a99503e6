/**
 * Links that live longer than Node's longest timer (2^31−1 ms, ~24.8 days), up to the 90-day
 * maximum, and tasks woken before their time (issue 9, item 1). aws-local-stepfunctions handed
 * setTimeout the whole wait, which Node fires after 1 ms instead: a 60-day link was reminded and
 * EXPIRED at creation. Now the runner times each Wait (at most maxWaitMs at a time) and a task woken
 * early changes nothing, so the execution waits again.
 *
 * First the sandbox itself, over its API (links 60 and 90 days ahead stay parked in their Wait);
 * then the runner with a short maxWaitMs, to watch early wake-ups go back to waiting and still act
 * on time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as expireHandler, type ExpireTaskResult } from '../../functions/workflow-expire/handler.js';
import { makeHandler as reminderHandler, type ReminderTaskResult } from '../../functions/workflow-reminder/handler.js';
import { WORKFLOW_STATES as S, renderWorkflowAsl } from '../../infra/link-workflow.js';
import { LocalWorkflowEngine, MAX_TIMER_MS } from '../../sandbox/workflow-runner.js';
import { systemClock } from '../../shared/app/ambient.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { CreatePaymentLinkInput, PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { REMINDER_NOT_DUE, type WorkflowInput } from '../../shared/domain/workflow/workflow.js';
import { createLogger } from '../../shared/logger.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { FixedClock, MemoryLinkStore, demoMerchant, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';
import { MemoryNotificationQueue, recorded } from '../support/workflow-tasks.js';

const DAY = 86_400_000;
const PATH = '/payment/v2/payment-links';
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

const overflowWarnings: string[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === 'TimeoutOverflowWarning') overflowWarnings.push(warning.message);
};
beforeAll(() => {
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('warning', onWarning);
});

describe('the sandbox with links 60 and 90 days ahead', () => {
  const ctx = useSandboxWithMerchants(beforeAll, afterAll);

  async function create(body: Record<string, unknown>): Promise<PaymentLinkResource> {
    const r = await ctx.m1.post<PaymentLinkResource>(PATH, createLinkBody({ shopper_redirection_url: 'http://localhost:9999/back', ...body }));
    expect(r.status, r.text).toBe(201);
    return r.body;
  }
  const email = { send_by_email: true, customer: { email: 'long.wait@example.com' } };

  it('neither reminds nor expires them at creation: each execution stays parked in its Wait, with no timer overflow', async () => {
    const parked = [
      // No channel, no reminder: straight to the 60-day expiry.
      { link: await create({ expires_at: inMs(60 * DAY) }), state: S.waitForExpiry, daysBeforeExpiry: 0 },
      // Reminded 30 days ahead, expiring 60 and (just under) 90 days ahead.
      { link: await create({ ...email, expires_at: inMs(60 * DAY), reminder_schedule: ['P30D'] }), state: S.waitForReminder, daysBeforeExpiry: 30 },
      { link: await create({ ...email, expires_at: inMs(90 * DAY - 60_000), reminder_schedule: ['P60D'] }), state: S.waitForReminder, daysBeforeExpiry: 60 },
    ];
    for (const { link, state } of parked) await waitFor(async () => ctx.sb.workflow.execution(link.id)?.states.includes(state) ?? false);

    // A link expiring in 2 s, started after them on the same runner: timers fire in order, so once it
    // has expired, a long wait that overflowed (Node fires it after 1 ms) would have fired long before.
    const control = await create({ expires_at: inMs(2000) });
    await waitFor(async () => (await ctx.m1.get<PaymentLinkResource>(`${PATH}/${control.id}`)).body.status === 'EXPIRED', 15_000);

    for (const { link, state, daysBeforeExpiry } of parked) {
      expect((await ctx.m1.get<PaymentLinkResource>(`${PATH}/${link.id}`)).body.status, state).toBe('CREATED');
      const execution = ctx.sb.workflow.execution(link.id)!;
      expect(execution).toMatchObject({ status: 'RUNNING', states: [S.reminders, state] });
      const until = new Date(Date.parse(link.expires_at) - daysBeforeExpiry * DAY).toISOString();
      expect(execution.waiting).toMatchObject({ state, until });
      // The first step of the wait: Node's longest timer, then an early wake-up that waits again.
      expect(Date.parse(execution.waiting!.wakes_at) - Date.parse(execution.started_at)).toBeGreaterThanOrEqual(MAX_TIMER_MS - 60_000);
      expect(Date.parse(execution.waiting!.wakes_at)).toBeLessThan(Date.parse(until));
    }
    await ctx.sb.settle();
    const reminders = ctx.sb.bus.events.filter((e) => e['detail-type'] === 'Payment Link Notification Sent' && e.detail.kind === 'REMINDER');
    expect(reminders).toEqual([]);
    expect(overflowWarnings).toEqual([]);
  });
});

describe('the runner waking tasks early (a short maxWaitMs)', () => {
  const workflow = renderWorkflowAsl();
  const logger = createLogger({ level: 'error', write: () => undefined });
  const engines: LocalWorkflowEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  beforeAll(async () => {
    // Build the definition's state machine once (engines share it), so the timings below measure waits only.
    const { engine, newLink, input } = setup(MAX_TIMER_MS);
    const link = await newLink(-1000);
    await engine.start(input(link));
    expect((await engine.settled(link.id))?.status).toBe('SUCCEEDED');
  });

  function setup(maxWaitMs: number) {
    const links = new MemoryLinkStore();
    const queue = new MemoryNotificationQueue();
    const reminder = recorded<ReminderTaskResult>(reminderHandler({ links, notificationQueue: queue, clock: systemClock, logger }));
    const expire = recorded<ExpireTaskResult>(expireHandler({ links, clock: systemClock, logger }));
    const engine = new LocalWorkflowEngine({ workflow, reminder: reminder.handler, expire: expire.handler, logger, maxWaitMs });
    engines.push(engine);
    const ids = sequentialIds();
    const newLink = (expiresInMs: number): Promise<PaymentLink> =>
      createPaymentLink(
        createLinkBody({ entity_id: demoMerchant.entity_id, expires_at: inMs(expiresInMs), send_by_email: true, customer: { email: 'jane@example.org' } }) as CreatePaymentLinkInput,
        demoMerchant,
        { links, clock: new FixedClock(new Date(Date.now() - 60_000)), ids, urlPolicy: 'production' },
      );
    const input = (link: PaymentLink, reminders: string[] = []): WorkflowInput => ({ payment_link_id: link.id, reminders: reminders.map((at) => ({ at })), expires_at: link.expires_at, grace_seconds: 900 });
    const callsFor = <R>(calls: Array<{ event: unknown; at: number; result?: R; error?: unknown }>, link: PaymentLink) =>
      calls.filter((c) => (c.event as { payment_link_id: string }).payment_link_id === link.id);
    return { links, queue, engine, newLink, input, reminder: reminder.calls, expire: expire.calls, callsFor };
  }

  it('a task woken early changes nothing and the execution goes back to waiting, again and again, until stopped', async () => {
    const { links, queue, engine, newLink, input, reminder, expire, callsFor } = setup(50);
    const expiring = await newLink(60 * DAY);
    const reminded = await newLink(60 * DAY);
    await engine.start(input(expiring));
    await engine.start(input(reminded, [inMs(30 * DAY)]));
    await waitFor(async () => callsFor(expire, expiring).length >= 3 && callsFor(reminder, reminded).length >= 3);
    await engine.close();

    expect(callsFor(expire, expiring).map((c) => c.result)).toEqual(
      callsFor(expire, expiring).map(() => ({ outcome: 'early', status: 'CREATED', due_at: expiring.expires_at })),
    );
    expect(engine.execution(expiring.id)?.states.slice(0, 8)).toEqual([
      S.reminders, S.waitForExpiry, S.expireLink, S.afterExpiry, S.waitForExpiryAgain, S.expireLink, S.afterExpiry, S.waitForExpiryAgain,
    ]);
    expect(callsFor(reminder, reminded).map((c) => (c.error as Error | undefined)?.name)).toEqual(callsFor(reminder, reminded).map(() => REMINDER_NOT_DUE));
    expect(engine.execution(reminded.id)?.states.slice(0, 6)).toEqual([S.reminders, S.waitForReminder, S.sendReminder, S.waitForReminder, S.sendReminder, S.waitForReminder]);
    expect(callsFor(expire, reminded)).toEqual([]);
    expect(queue.requests).toEqual([]);
    expect(await links.get(expiring.id)).toEqual(expiring);
    expect(await links.get(reminded.id)).toEqual(reminded);
    for (const link of [expiring, reminded]) {
      expect(engine.execution(link.id)).toMatchObject({ status: 'ABORTED' });
      expect(engine.execution(link.id)?.waiting).toBeUndefined();
    }
    expect(overflowWarnings).toEqual([]);
  });

  it('after an early wake-up the reminder is sent, and the link expires, at their time', async () => {
    const { links, queue, engine, newLink, input, reminder, expire, callsFor } = setup(500);
    const expiring = await newLink(3000);
    const reminded = await newLink(60 * DAY);
    const reminderAt = inMs(3000);
    await engine.start(input(expiring));
    await engine.start(input(reminded, [reminderAt]));
    await waitFor(async () => engine.execution(expiring.id)?.status === 'SUCCEEDED' && queue.requests.length > 0 && (engine.execution(reminded.id)?.states.includes(S.waitForExpiry) ?? false));

    // Woken first after 500 ms (more than the 1 s tolerance early), then every 500 ms until due.
    const expiries = callsFor(expire, expiring);
    expect(expiries[0]!.result).toEqual({ outcome: 'early', status: 'CREATED', due_at: expiring.expires_at });
    expect(expiries.at(-1)!.result).toEqual({ outcome: 'expired', status: 'EXPIRED', due_at: null });
    expect(expiries.at(-1)!.at).toBeGreaterThanOrEqual(Date.parse(expiring.expires_at) - 1000);
    expect((await links.get(expiring.id))?.status).toBe('EXPIRED');
    const early = expiries.length - 1;
    expect(engine.execution(expiring.id)).toMatchObject({ transitions: 5 + 3 * early });

    const reminders = callsFor(reminder, reminded);
    expect((reminders[0]!.error as Error).name).toBe(REMINDER_NOT_DUE);
    expect(reminders.at(-1)!.result).toEqual({ reminded: ['EMAIL'] });
    expect(reminders.at(-1)!.at).toBeGreaterThanOrEqual(Date.parse(reminderAt) - 1000);
    expect(queue.requests.map((r) => [r.payment_link_id, r.kind])).toEqual([[reminded.id, 'REMINDER']]);
    // …and then waits for its expiry, 60 days ahead, in steps (each ExpireLink woken early waits again).
    await waitFor(async () => engine.execution(reminded.id)?.waiting?.until === reminded.expires_at);
    expect(callsFor(expire, reminded).map((c) => c.result)).toEqual(callsFor(expire, reminded).map(() => ({ outcome: 'early', status: 'CREATED', due_at: reminded.expires_at })));
    expect((await links.get(reminded.id))?.status).toBe('CREATED');
  });
});
