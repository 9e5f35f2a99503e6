/**
 * Executions live in memory, so after a restart on kept data (a clean stop or a crash) the open
 * links' workflows are started again; on AWS, Step Functions keeps them through anything.
 *
 * Each gets the schedule its link was given at creation (as the dispatcher computes it), minus what
 * the downtime made moot. The expiry is kept: a link whose expires_at passed while the sandbox was
 * down expires at once. Of the reminders whose time passed during the downtime, the latest goes
 * once, late (it may never have gone: on AWS it would have), unless the link has expired by now or
 * that reminder is already recorded as sent on every channel; earlier missed ones are dropped (two
 * reminders in a row would be spam). A reminder that did go before the crash is not sent twice
 * either way: its notification id is deterministic and the notifier records each id once.
 */
import { ScanCommand, type AttributeValue, type DynamoDBClient, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { linkFromItem } from '../shared/adapters/link-store.js';
import type { AppDeps } from '../shared/app/ports.js';
import type { PaymentLink } from '../shared/domain/link/model.js';
import type { ReminderPolicy } from '../shared/domain/link/reminder-schedule.js';
import { notificationId } from '../shared/domain/notifications/notifications.js';
import { linkChannels, workflowInput, type WorkflowInput } from '../shared/domain/workflow/workflow.js';
import type { Logger } from '../shared/logger.js';

/** The workflow input for an open link whose execution was lost, at `now`. */
export function resumedWorkflowInput(link: PaymentLink, policy: ReminderPolicy | undefined, now: Date): WorkflowInput {
  const planned = workflowInput(link, policy, new Date(link.created_at));
  const future = planned.reminders.filter((r) => Date.parse(r.at) > now.getTime());
  const missed = planned.reminders.filter((r) => Date.parse(r.at) <= now.getTime()).at(-1);
  const sent = (at: string) =>
    linkChannels(link).every((channel) => (link.notifications ?? []).some((n) => n.id === notificationId(link.id, channel, 'REMINDER', at)));
  const catchUp = missed && now.getTime() < Date.parse(link.expires_at) && !sent(missed.at) ? [missed] : [];
  return { ...planned, reminders: [...catchUp, ...future] };
}

export async function resumeWorkflows(client: DynamoDBClient, tableName: string, deps: AppDeps, logger: Logger): Promise<void> {
  let resumed = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page: ScanCommandOutput = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'SK = :link AND #status IN (:c, :o, :p)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':link': { S: 'LINK' }, ':c': { S: 'CREATED' }, ':o': { S: 'OPENED' }, ':p': { S: 'PAYMENT_IN_PROGRESS' } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const link = linkFromItem(unmarshall(item));
      const merchant = await deps.merchants.getMerchant(link.entity_id);
      await deps.workflow.start(resumedWorkflowInput(link, merchant?.reminder_policy, deps.clock.now()));
      resumed += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  if (resumed > 0) logger.info('workflows resumed', { count: resumed });
}
