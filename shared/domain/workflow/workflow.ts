/**
 * The per-link workflow (Step Functions, Standard): wait until each reminder time and remind, then
 * wait until expires_at and expire (with a grace period for an attempt in progress). The dispatcher
 * computes the whole schedule up front and passes it as the execution input, so the state machine
 * needs no extra task to compute it (each state transition is billed).
 */
import { notificationId, type Channel } from '../notifications/notifications.js';
import type { NotificationQueue } from '../ports.js';
import { applyLinkEvent } from '../link/write.js';
import type { PaymentLink } from '../link/model.js';
import type { Clock, LinkStore } from '../ports.js';
import { parseDurationMs, type ReminderPolicy } from '../link/reminder-schedule.js';

export const GRACE_PERIOD_SECONDS = 15 * 60;
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

/** The reminder task: enqueue one reminder per channel due (deterministic ids: a retried task sends nothing twice). */
export async function sendReminders(
  input: { payment_link_id: string; at: string },
  deps: { links: LinkStore; notificationQueue: NotificationQueue },
): Promise<{ reminded: Channel[] }> {
  const link = await deps.links.get(input.payment_link_id);
  if (!link) throw new Error(`payment link ${input.payment_link_id} not found`);
  const reminded = remindersDue(link);
  for (const channel of reminded) {
    await deps.notificationQueue.enqueue({ id: notificationId(link.id, channel, 'REMINDER', input.at), payment_link_id: link.id, channel, kind: 'REMINDER' });
  }
  return { reminded };
}

export type ExpireOutcome = 'expired' | 'deferred' | 'unchanged';

/** The expiry task: CREATED/OPENED → EXPIRED; PAYMENT_IN_PROGRESS waits for the grace period first. */
export async function expireLink(
  linkId: string,
  graceOver: boolean,
  deps: { links: LinkStore; clock: Clock },
): Promise<{ outcome: ExpireOutcome; status: string }> {
  const load = async () => {
    const link = await deps.links.get(linkId);
    if (!link) throw new Error(`payment link ${linkId} not found`);
    return link;
  };
  const { link, result } = await applyLinkEvent(load, { type: 'EXPIRE', grace_over: graceOver }, deps);
  const outcome: ExpireOutcome = result.outcome === 'changed' ? 'expired' : result.outcome === 'deferred' ? 'deferred' : 'unchanged';
  return { outcome, status: link.status };
}
