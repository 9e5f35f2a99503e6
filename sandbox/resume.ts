/**
 * Executions live in memory, so after a restart on kept data the open links' workflows are started
 * again (on AWS, Step Functions keeps them). Reminders already due are skipped, expiry is kept.
 */
import { ScanCommand, type AttributeValue, type DynamoDBClient, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { linkFromItem } from '../shared/adapters/link-store.js';
import type { AppDeps } from '../shared/app/ports.js';
import { workflowInput } from '../shared/domain/workflow/workflow.js';
import type { Logger } from '../shared/logger.js';

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
      await deps.workflow.start(workflowInput(link, merchant?.reminder_policy, deps.clock.now()));
      resumed += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  if (resumed > 0) logger.info('workflows resumed', { count: resumed });
}
