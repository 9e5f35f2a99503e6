/**
 * The per-link workflow (Step Functions, Standard): wait until each reminder time and remind, then
 * wait until expires_at and expire (with a grace period for an attempt in progress). The dispatcher
 * computes the whole schedule up front and passes it as the execution input, so the state machine
 * needs no extra task to compute it (each state transition is billed).
 *
 * The tasks never trust that their Wait ended on time: each compares the clock with the time it is
 * for, and a task woken early (a redriven execution, a sandbox wait taken in steps, any early wake)
 * changes nothing and answers `early` with the time it is due, so the state machine waits again.
 */
import { notificationId, type Channel } from '../notifications/notifications.js';
import { applyLinkEvent } from '../link/write.js';
import type { PaymentLink } from '../link/model.js';
import type { Clock, LinkStore, NotificationQueue } from '../ports.js';
import { parseDurationMs, type ReminderPolicy } from '../link/reminder-schedule.js';

export const GRACE_PERIOD_SECONDS = 15 * 60;

/**
 * How early a task may run and still act: Step Functions truncates a Wait's timestamp to the
 * second, so a task may start up to 999 ms before the time it waited for. Any earlier is an early
 * wake-up. (At least 1 s, or a Wait on an already-truncated time would loop back at once.)
 */
export const EARLY_TOLERANCE_MS = 1000;

/** When a task woken at `now` for `dueAt` (ms) is early: the time to wait for again, else undefined. */
function earlyUntil(dueAt: number, now: Date): string | undefined {
  return now.getTime() < dueAt - EARLY_TOLERANCE_MS ? new Date(dueAt).toISOString() : undefined;
}

export interface WorkflowInput {
  payment_link_id: string;
  /** Future reminder times, earliest first (ISO 8601). */
  reminders: Array<{ at: string }>;
  expires_at: string;
  grace_seconds: number;
}

/**
 * When to remind: the link's reminder_schedule, else the merchant's default; times that have
 * already passed at creation are skipped, duplicates collapse. No channel, no reminders.
 */
export function reminderTimes(link: PaymentLink, merchantDefault: ReminderPolicy | undefined, now: Date): string[] {
  if (!link.send_by_email && !link.send_by_sms) return [];
  const expiresAt = Date.parse(link.expires_at);
  let offsets: string[];
  if (link.reminder_schedule) {
    offsets = link.reminder_schedule;
  } else if (merchantDefault) {
    const lifetime = expiresAt - Date.parse(link.created_at);
    const minimum = merchantDefault.min_lifetime ? (parseDurationMs(merchantDefault.min_lifetime) ?? 0) : 0;
    offsets = lifetime > minimum ? merchantDefault.before_expiry : [];
  } else {
    offsets = [];
  }
  const times = offsets
    .map((o) => parseDurationMs(o))
    .filter((ms): ms is number => ms !== undefined)
    .map((ms) => expiresAt - ms)
    .filter((t) => t > now.getTime() && t < expiresAt);
  return [...new Set(times)].sort((a, b) => a - b).map((t) => new Date(t).toISOString());
}

export function workflowInput(link: PaymentLink, merchantDefault: ReminderPolicy | undefined, now: Date): WorkflowInput {
  return {
    payment_link_id: link.id,
    reminders: reminderTimes(link, merchantDefault, now).map((at) => ({ at })),
    expires_at: link.expires_at,
    grace_seconds: GRACE_PERIOD_SECONDS,
  };
}

// ── Tasks ─────────────────────────────────────────────────────────────────────────────────────

export function linkChannels(link: PaymentLink): Channel[] {
  return [...(link.send_by_email ? (['EMAIL'] as const) : []), ...(link.send_by_sms ? (['SMS'] as const) : [])];
}

/** Channels to remind on now: every channel the link was sent on, only while CREATED or OPENED. */
export function remindersDue(link: PaymentLink): Channel[] {
  return link.status === 'CREATED' || link.status === 'OPENED' ? linkChannels(link) : [];
}

/** The name the reminder task's early answer carries: the state machine catches it and waits again. */
export const REMINDER_NOT_DUE = 'ReminderNotDue';

/**
 * The reminder task's early answer as the state machine sees it. The reminder runs inside the Map
 * with no Choice after it (that would cost one transition per reminder on every link), so "early"
 * travels as a named task error that a Catch sends back to the reminder's Wait.
 */
export class ReminderNotDueError extends Error {
  override readonly name = REMINDER_NOT_DUE;
  constructor(readonly due_at: string) {
    super(`the reminder is due at ${due_at}`);
  }
}

export type ReminderResult =
  /** The reminder's time has come: queued on these channels (none for a link no longer open). */
  | { outcome: 'due'; reminded: Channel[] }
  /** Woken before `due_at` (the reminder time): nothing queued. */
  | { outcome: 'early'; due_at: string };

/**
 * The reminder task: at its time, enqueue one reminder per channel due (deterministic ids: a
 * retried task sends nothing twice); before it, nothing.
 */
export async function sendReminders(
  input: { payment_link_id: string; at: string },
  deps: { links: LinkStore; notificationQueue: NotificationQueue; clock: Clock },
): Promise<ReminderResult> {
  const early = earlyUntil(Date.parse(input.at), deps.clock.now());
  if (early) return { outcome: 'early', due_at: early };
  const link = await deps.links.get(input.payment_link_id);
  if (!link) throw new Error(`payment link ${input.payment_link_id} not found`);
  const reminded = remindersDue(link);
  for (const channel of reminded) {
    await deps.notificationQueue.enqueue({ id: notificationId(link.id, channel, 'REMINDER', input.at), payment_link_id: link.id, channel, kind: 'REMINDER' });
  }
  return { outcome: 'due', reminded };
}

export type ExpireOutcome = 'expired' | 'deferred' | 'unchanged' | 'early';

export type ExpireResult =
  | { outcome: 'expired' | 'unchanged'; status: string }
  /**
   * deferred: a payment in progress at expires_at, to be expired once the grace is over, at due_at
   * (expires_at + grace). early: woken before expires_at (or, with grace_over, before the grace
   * ends); nothing written, due_at is when to run again.
   */
  | { outcome: 'deferred' | 'early'; status: string; due_at: string };

/**
 * The expiry task: from expires_at, CREATED/OPENED → EXPIRED (a conditional write); a
 * PAYMENT_IN_PROGRESS link is deferred until expires_at + graceSeconds, then (graceOver) expired
 * too. Before its time it writes nothing.
 */
export async function expireLink(
  linkId: string,
  graceOver: boolean,
  deps: { links: LinkStore; clock: Clock },
  graceSeconds: number = GRACE_PERIOD_SECONDS,
): Promise<ExpireResult> {
  const load = async () => {
    const link = await deps.links.get(linkId);
    if (!link) throw new Error(`payment link ${linkId} not found`);
    return link;
  };
  const read = await load();
  const expiresAt = Date.parse(read.expires_at);
  const graceEnd = new Date(expiresAt + graceSeconds * 1000).toISOString();
  const early = earlyUntil(graceOver ? Date.parse(graceEnd) : expiresAt, deps.clock.now());
  if (early) return { outcome: 'early', status: read.status, due_at: early };
  // The first read serves the write's first attempt; a lost race reads again.
  let first: PaymentLink | undefined = read;
  const reload = async () => {
    const link = first ?? (await load());
    first = undefined;
    return link;
  };
  const { link, result } = await applyLinkEvent(reload, { type: 'EXPIRE', grace_over: graceOver }, deps);
  if (result.outcome === 'deferred') return { outcome: 'deferred', status: link.status, due_at: graceEnd };
  return { outcome: result.outcome === 'changed' ? 'expired' : 'unchanged', status: link.status };
}
