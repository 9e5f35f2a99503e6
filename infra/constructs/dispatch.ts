/**
 * The stream dispatcher: the one place a committed change becomes effects. Events on the bus,
 * merchant webhooks (the merchant's default URL read, a delivery and its event pointer written, a
 * message queued for the sender), and for a new link its initial notifications (queued for the
 * notifier) and its workflow (started, named after the link; stopped when the link is paid or
 * cancelled). It reads no secret. Its table access covers merchant webhooks: deliveries and their
 * event pointers, the merchant (default webhook URL) and its signing secrets; every write is a
 * (conditional) PutItem, there is no UpdateItem.
 *
 * A webhook body carries the link resource as GET returns it, so the dispatcher is told the API's
 * public base URL (its `urls` port): the custom domain when one is configured, else the stage URL,
 * which it may be told because it is behind no route (function-access.ts).
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE_KEYS, keys } from '../../shared/adapters/dynamodb.js';
import { functionsTriggeredBy } from '../../shared/app/functions.js';
import { acknowledgeNag } from '../nag.js';
import type { PaylinkFunction } from '../paylink-function.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';

export interface DispatchProps {
  access: FunctionAccess;
  /** The table whose stream is dispatched. */
  table: dynamodb.ITable;
}

export class Dispatch extends Concern {
  readonly dispatcher: PaylinkFunction;
  readonly streamFailures: sqs.Queue;

  constructor(scope: Construct, id: string, props: DispatchProps) {
    super(scope, id);
    const entries = functionsTriggeredBy('stream');
    if (entries.length !== 1) throw new Error(`the table's stream must trigger exactly one manifest function, not ${entries.length}`);
    const { trigger } = entries[0]!;
    this.dispatcher = props.access.addFunction(this, entries[0]!, {
      wildcardReason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and dynamodb:ListStreams (added by the ' +
        'DynamoDB event source) support no resource-level permissions; stream reads themselves are on this table\'s stream ARN.',
    });

    // A batch that still fails after the retries is recorded here instead of blocking the shard
    // forever. Stream destinations receive the shard id and sequence-number range, not the items: an
    // operator finds the links from there (or in the table) and re-drives them after a fix.
    this.streamFailures = new sqs.Queue(this, 'StreamFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(
      this.streamFailures,
      'SQS3',
      'This queue is itself the dead-letter destination of the stream event source; a queue behind it would add nothing.',
    );

    const linkItem = keys.link('any');
    this.dispatcher.fn.addEventSource(
      new DynamoEventSource(props.table, {
        // From the oldest record the stream still holds: a new or redeployed mapping misses nothing.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: trigger.batchSize,
        // The handler stops at the first failing record and reports it, so the rest of the shard
        // keeps its order; bisecting isolates a poison record, and bounded retries park it in the queue.
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: trigger.retryAttempts,
        maxRecordAge: Duration.hours(trigger.maxRecordAgeHours),
        onFailure: new SqsDlq(this.streamFailures),
        // Only link items mean anything to subscribers; idempotency records, merchants and keys
        // never invoke the function (and are never billed as invocations). Nor do the deliveries,
        // event pointers and secrets that the dispatcher and the sender write: the dispatcher's own
        // writes can never come back to it as work.
        filters: [
          lambda.FilterCriteria.filter({
            dynamodb: { Keys: { [TABLE_KEYS.sort]: { S: lambda.FilterRule.isEqual(linkItem.SK) } } },
          }),
        ],
      }),
    );
  }
}
