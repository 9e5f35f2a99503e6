/**
 * The per-link workflow as the sandbox runs it: the ASL CDK synthesises, on aws-local-stepfunctions
 * with real (short) waits, and the real task handlers on an in-memory link store. Each link is
 * created with the expires_at its execution waits for (the expiry task checks the link's).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as expireHandler, type ExpireTaskResult } from '../../functions/workflow-expire/handler.js';
import { makeHandler as reminderHandler, type ReminderTaskResult } from '../../functions/workflow-reminder/handler.js';
import { WORKFLOW_STATES as S, renderWorkflowAsl } from '../../infra/link-workflow.js';
import { LocalWorkflowEngine, type LocalExecution, type LocalWorkflowOptions, type WorkflowTaskHandler } from '../../sandbox/workflow-runner.js';
import { systemClock } from '../../shared/app/ambient.js';
import { notificationId } from '../../shared/domain/notifications/notifications.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { WorkflowInput } from '../../shared/domain/workflow/workflow.js';
import { createLogger } from '../../shared/logger.js';
import { FixedClock, MemoryLinkStore, demoMerchant, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';
import { MemoryNotificationQueue, recorded } from '../support/workflow-tasks.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';

const workflow = renderWorkflowAsl();
const logger = createLogger({ level: 'error', write: () => undefined });
/** setTimeout may fire a millisecond or so before Date.now() reaches the target. */
const TIMER_SLACK_MS = 15;

const engines: LocalWorkflowEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

interface SetupOptions {
  /** When the link expires, from now (negative: already past). */
  expiresInMs: number;
  failReminder?: number;
  failExpire?: number;
  overrides?: LocalWorkflowOptions['overrides'];
}

async function setup(options: SetupOptions) {
  const links = new MemoryLinkStore();
  const queue = new MemoryNotificationQueue();
  const failing = (handler: WorkflowTaskHandler, failures: number): WorkflowTaskHandler => {
    let left = failures;
    return async (event, context) => {
      if (left-- > 0) throw new Error('dependency unavailable');
      return handler(event, context);
    };
  };
  const reminder = recorded<ReminderTaskResult>(failing(reminderHandler({ links, notificationQueue: queue, clock: systemClock, logger }), options.failReminder ?? 0));
  const expire = recorded<ExpireTaskResult>(failing(expireHandler({ links, clock: systemClock, logger }), options.failExpire ?? 0));
  const engine = new LocalWorkflowEngine({ workflow, reminder: reminder.handler, expire: expire.handler, logger, ...(options.overrides ? { overrides: options.overrides } : {}) });
  engines.push(engine);
  const link = await newLink(links, options.expiresInMs);
  const setStatus = async (status: PaymentLink['status']) => {
    const current = (await links.get(link.id))!;
    await links.update({ ...current, status, version: current.version + 1 }, current.version);
  };
  return { links, queue, engine, link, reminder: reminder.calls, expire: expire.calls, setStatus };
}

/** A link sent by email and SMS, expiring `expiresInMs` from now (created an hour ago, so a past expiry is valid). */
function newLink(links: MemoryLinkStore, expiresInMs: number, ids = sequentialIds()): Promise<PaymentLink> {
  return createPaymentLink(
    createLinkBody({
      entity_id: demoMerchant.entity_id,
      expires_at: inMs(expiresInMs),
      send_by_email: true,
      send_by_sms: true,
      customer: { email: 'jane@example.org', mobile_phone_number: '+33612345678' },
    }) as CreatePaymentLinkInput,
    demoMerchant,
    { links, clock: new FixedClock(new Date(Date.now() - 3600_000)), ids, urlPolicy: 'production' },
  );
}

const input = (link: PaymentLink, o: { reminders?: number[]; graceSeconds?: number } = {}): WorkflowInput => ({
  payment_link_id: link.id,
  reminders: (o.reminders ?? []).map((ms) => ({ at: inMs(ms) })),
  expires_at: link.expires_at,
  grace_seconds: o.graceSeconds ?? 900,
});

/** The execution's end, or a failed test after `ms` (never an unbounded wait). */
async function settledWithin(engine: LocalWorkflowEngine, linkId: string, ms: number): Promise<LocalExecution> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`execution ${linkId} still ${engine.execution(linkId)?.status} after ${ms} ms`)), ms);
  });
  try {
    const run = await Promise.race([engine.settled(linkId), timeout]);
    if (!run) throw new Error(`no execution ${linkId}`);
    return run;
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  // Load aws-local-stepfunctions once, so the first test's short timings measure the workflow only.
  const { engine, link } = await setup({ expiresInMs: -1000 });
  await engine.start(input(link));
  expect((await settledWithin(engine, link.id, 10_000)).status).toBe('SUCCEEDED');
});

describe('the link workflow on aws-local-stepfunctions', () => {
  it('sends the reminder at its time, then expires the link at expires_at', async () => {
    const { engine, link, queue, links, reminder, expire } = await setup({ expiresInMs: 1500 });
    const run = input(link, { reminders: [500] });
    await engine.start(run);
    expect(engine.execution(link.id)?.status).toBe('RUNNING');

    const ended = await settledWithin(engine, link.id, 5000);
    expect(ended).toMatchObject({ status: 'SUCCEEDED', transitions: 7 });
    expect(ended.states).toEqual([S.reminders, S.waitForReminder, S.sendReminder, S.waitForExpiry, S.expireLink, S.afterExpiry, S.done]);

    const at = run.reminders[0]!.at;
    expect(reminder.map((c) => c.event)).toEqual([{ payment_link_id: link.id, at }]);
    expect(reminder[0]!.at).toBeGreaterThanOrEqual(Date.parse(at) - TIMER_SLACK_MS);
    expect(reminder[0]!.result).toEqual({ reminded: ['EMAIL', 'SMS'] });
    expect(queue.requests).toEqual([
      { id: notificationId(link.id, 'EMAIL', 'REMINDER', at), payment_link_id: link.id, channel: 'EMAIL', kind: 'REMINDER' },
      { id: notificationId(link.id, 'SMS', 'REMINDER', at), payment_link_id: link.id, channel: 'SMS', kind: 'REMINDER' },
    ]);

    expect(expire.map((c) => c.event)).toEqual([{ payment_link_id: link.id, grace_over: false, grace_seconds: 900 }]);
    expect(expire[0]!.at).toBeGreaterThanOrEqual(Date.parse(run.expires_at) - TIMER_SLACK_MS);
    expect(expire[0]!.result).toEqual({ outcome: 'expired', status: 'EXPIRED', due_at: null });
    expect((await links.get(link.id))?.status).toBe('EXPIRED');
    expect(ended.output).toMatchObject({ ...run, expiry: { outcome: 'expired', status: 'EXPIRED', due_at: null, grace_over: false } });
  });

  it('gives a payment in progress the grace period, until expires_at + grace_seconds, then expires the link', async () => {
    const { engine, link, links, expire, setStatus } = await setup({ expiresInMs: 200 });
    await setStatus('OPENED');
    await setStatus('PAYMENT_IN_PROGRESS');
    await engine.start(input(link, { graceSeconds: 1 }));

    const ended = await settledWithin(engine, link.id, 5000);
    expect(ended).toMatchObject({ status: 'SUCCEEDED', transitions: 8 });
    const graceEnd = new Date(Date.parse(link.expires_at) + 1000).toISOString();
    expect(expire.map((c) => [c.event, c.result])).toEqual([
      [{ payment_link_id: link.id, grace_over: false, grace_seconds: 1 }, { outcome: 'deferred', status: 'PAYMENT_IN_PROGRESS', due_at: graceEnd }],
      [{ payment_link_id: link.id, grace_over: true, grace_seconds: 1 }, { outcome: 'expired', status: 'EXPIRED', due_at: null }],
    ]);
    expect(expire[1]!.at).toBeGreaterThanOrEqual(Date.parse(graceEnd) - TIMER_SLACK_MS);
    expect((await links.get(link.id))?.status).toBe('EXPIRED');
  });

  it('sends no reminder for a link paid before the reminder time, and leaves it PAID', async () => {
    const { engine, link, queue, links, reminder, expire, setStatus } = await setup({ expiresInMs: 400 });
    await setStatus('PAID');
    await engine.start(input(link, { reminders: [200] }));

    const ended = await settledWithin(engine, link.id, 5000);
    expect(ended.status).toBe('SUCCEEDED');
    expect(reminder.map((c) => c.result)).toEqual([{ reminded: [] }]);
    expect(queue.requests).toEqual([]);
    expect(expire.map((c) => c.result)).toEqual([{ outcome: 'unchanged', status: 'PAID', due_at: null }]);
    expect((await links.get(link.id))?.status).toBe('PAID');
  });

  it('never expires a link whose execution was stopped before expires_at', async () => {
    const { engine, link, links, expire } = await setup({ expiresInMs: 2000 });
    await engine.start(input(link));
    await waitFor(async () => engine.execution(link.id)?.waiting?.state === S.waitForExpiry);
    await engine.stop(link.id);
    expect(engine.execution(link.id)?.status).toBe('ABORTED');

    // A second link of the same engine, expiring after the first: once it has expired, the first's
    // timer would have fired too (timers fire in order), so no fixed sleep is needed to prove it did not.
    const later = await newLink(links, Date.parse(link.expires_at) - Date.now() + 200, sequentialIds('00000000-0000-4000-9000-'));
    await engine.start(input(later));
    expect((await settledWithin(engine, later.id, 5000)).status).toBe('SUCCEEDED');
    expect(expire.map((c) => (c.event as { payment_link_id: string }).payment_link_id)).toEqual([later.id]);
    expect((await links.get(link.id))?.status).toBe('CREATED');
    expect(engine.execution(link.id)?.states).toEqual([S.reminders, S.waitForExpiry]);
    expect(engine.execution(link.id)?.waiting).toBeUndefined();
    // Stopping again, or stopping a link without an execution, changes nothing.
    await engine.stop(link.id);
    await engine.stop('no-such-link');
    expect(engine.executions().map((e) => [e.name, e.status])).toEqual([
      [link.id, 'ABORTED'],
      [later.id, 'SUCCEEDED'],
    ]);
  });

  it('starts one execution per link: a second start is a no-op', async () => {
    const { engine, link, expire } = await setup({ expiresInMs: 100 });
    await engine.start(input(link));
    await engine.start({ ...input(link), grace_seconds: 0, reminders: [{ at: inMs(10) }] });
    await settledWithin(engine, link.id, 5000);
    expect(engine.executions()).toHaveLength(1);
    expect(engine.execution(link.id)?.input.grace_seconds).toBe(900);
    expect(expire).toHaveLength(1);
    // …even after it has ended (an execution name is taken for good): start() would have put a new
    // RUNNING execution in its place before returning.
    await engine.start(input(link));
    expect(engine.execution(link.id)?.status).toBe('SUCCEEDED');
    expect(engine.executions()).toHaveLength(1);
  });

  it('retries a task that fails twice, then goes on', async () => {
    // The retry interval is shortened here; matching the error and counting attempts is the library's.
    const { engine, link, links, expire } = await setup({ expiresInMs: 100, failExpire: 2, overrides: { retryIntervalOverrides: { [S.expireLink]: 20 } } });
    await engine.start(input(link));

    const ended = await settledWithin(engine, link.id, 5000);
    expect(ended).toMatchObject({ status: 'SUCCEEDED', transitions: 5 + 2 });
    expect(expire).toHaveLength(3);
    expect(expire.map((c) => c.error !== undefined)).toEqual([true, true, false]);
    expect((await links.get(link.id))?.status).toBe('EXPIRED');
  });

  it('retries a task that always fails 3 times, then catches it and fails the execution with the error', async () => {
    const { engine, link, links, expire } = await setup({ expiresInMs: 50, failExpire: Infinity, overrides: { retryIntervalOverrides: { [S.expireLink]: 10 } } });
    await engine.start(input(link));

    const ended = await settledWithin(engine, link.id, 5000);
    expect(ended.status).toBe('FAILED');
    expect(expire).toHaveLength(1 + 3);
    expect(ended.states.slice(-2)).toEqual([S.expireLink, S.expiryFailed]);
    expect(ended.error?.error).toBe('Error');
    expect(JSON.parse(ended.error!.cause)).toEqual({ errorType: 'Error', errorMessage: 'dependency unavailable' });
    expect((await links.get(link.id))?.status).toBe('CREATED');
  });

  it('still expires the link when a reminder keeps failing, and then fails the execution (it alarms)', async () => {
    const { engine, link, links, reminder, expire } = await setup({ expiresInMs: 300, failReminder: Infinity, overrides: { retryIntervalOverrides: { [S.sendReminder]: 10 } } });
    await engine.start(input(link, { reminders: [50] }));

    const ended = await settledWithin(engine, link.id, 5000);
    expect(reminder).toHaveLength(1 + 3);
    expect(expire.map((c) => c.result)).toEqual([{ outcome: 'expired', status: 'EXPIRED', due_at: null }]);
    expect((await links.get(link.id))?.status).toBe('EXPIRED');
    expect(ended.status).toBe('FAILED');
    expect(ended.states).toContain(S.reminderFailed);
    expect(ended.states.at(-1)).toBe(S.remindersFailed);
    expect(ended.error?.error).toBe('RemindersFailed');
    expect(ended.error?.cause).toContain('dependency unavailable');
  });
});
