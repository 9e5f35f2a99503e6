/**
 * Workflow task (Step Functions, SendReminder): at a reminder time, queue a REMINDER on every
 * channel the link was sent on, only while it is still CREATED or OPENED. The notification id is
 * derived from the reminder time, so a retried task or a repeated execution queues nothing twice
 * that the notifier would send twice.
 */
import middy from '@middy/core';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import type { Channel } from '../../shared/domain/notifications/notifications.js';
import { sendReminders } from '../../shared/domain/workflow/workflow.js';
import { reminderTaskInputSchema } from '../../shared/lambda/task-inputs.js';

export interface ReminderTaskResult {
  reminded: Channel[];
}

export const makeHandler = (deps: DepsOf<PortsOf<'workflow-reminder'>>) =>
  middy<unknown, ReminderTaskResult>().handler(async (event) => {
    const input = reminderTaskInputSchema.parse(event);
    const result = await sendReminders(input, deps);
    deps.logger.info('workflow reminder', { payment_link_id: input.payment_link_id, at: input.at, reminded: result.reminded });
    return result;
  });
