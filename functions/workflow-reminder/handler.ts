/**
 * Workflow task (Step Functions, SendReminder): at a reminder time, queue a REMINDER on every
 * channel the link was sent on, only while it is still CREATED or OPENED. The notification id is
 * derived from the reminder time, so a retried task or a repeated execution queues nothing twice
 * that the notifier would send twice.
 */
import middy from '@middy/core';
import type { Channel } from '../../shared/domain/notifications/notifications.js';
import type { NotificationQueue } from '../../shared/domain/ports.js';
import type { LinkStore } from '../../shared/domain/ports.js';
import { sendReminders } from '../../shared/domain/workflow/workflow.js';
import type { Logger } from '../../shared/logger.js';

export interface ReminderTaskInput {
  payment_link_id: string;
  /** The reminder time this task runs for (ISO 8601), from the execution input. */
  at: string;
}

export interface ReminderTaskResult {
  reminded: Channel[];
}

export interface ReminderTaskDeps {
  store: LinkStore;
  queue: NotificationQueue;
  logger: Logger;
}

export function parseReminderTaskInput(event: unknown): ReminderTaskInput {
  const e = event as Partial<Record<keyof ReminderTaskInput, unknown>> | null;
  if (!e || typeof e.payment_link_id !== 'string' || typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) {
    throw new TypeError('not a reminder task input: {payment_link_id, at} expected');
  }
  return { payment_link_id: e.payment_link_id, at: e.at };
}

export const makeHandler = (deps: ReminderTaskDeps) =>
  middy<unknown, ReminderTaskResult>().handler(async (event) => {
    const input = parseReminderTaskInput(event);
    const result = await sendReminders(input, deps);
    deps.logger.info('workflow reminder', { payment_link_id: input.payment_link_id, at: input.at, reminded: result.reminded });
    return result;
  });
