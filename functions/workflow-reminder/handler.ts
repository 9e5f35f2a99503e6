/**
 * Workflow task (Step Functions, SendReminder): at a reminder time, queue a REMINDER on every
 * channel the link was sent on, only while it is still CREATED or OPENED. The notification id is
 * derived from the reminder time, so a retried task or a repeated execution queues nothing twice
 * that the notifier would send twice. Woken before the reminder time it queues nothing and fails
 * with ReminderNotDue, which the state machine catches to wait again (see infra/link-workflow.ts).
 */
import middy from '@middy/core';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import type { Channel } from '../../shared/domain/notifications/notifications.js';
import { ReminderNotDueError, sendReminders } from '../../shared/domain/workflow/workflow.js';
import { reminderTaskInputSchema } from '../../shared/lambda/task-inputs.js';

export interface ReminderTaskResult {
  reminded: Channel[];
}

export const makeHandler = (deps: DepsOf<PortsOf<'workflow-reminder'>>) =>
  middy<unknown, ReminderTaskResult>().handler(async (event) => {
    const input = reminderTaskInputSchema.parse(event);
    const result = await sendReminders(input, deps);
    deps.logger.info('workflow reminder', { payment_link_id: input.payment_link_id, at: input.at, ...result });
    if (result.outcome === 'early') throw new ReminderNotDueError(result.due_at);
    return { reminded: result.reminded };
  });
