/**
 * The per-link workflow (Step Functions, Standard), defined once here and used twice: by the stack
 * (LinkWorkflow) and by the sandbox, which runs the very ASL this file synthesises
 * (renderWorkflowAsl → sandbox/workflow-runner.ts) with aws-local-stepfunctions.
 *
 *   Reminders (Map over $.reminders, one at a time, result discarded)
 *     └─ WaitForReminder (TimestampPath $.at) → SendReminder ──catch ReminderNotDue──> WaitForReminder
 *                                                           ──catch──> ReminderFailed (Fail)
 *        (a failed iteration is caught by the Map into $.reminder_error: the link still expires)
 *   WaitForExpiry (TimestampPath $.expires_at)
 *   ExpireLink {payment_link_id, grace_over: false, grace_seconds} ──catch──> ExpiryFailed (Fail)
 *   AfterExpiry (Choice)
 *     ├─ $.expiry.outcome == "early" and not grace_over
 *     │    → WaitForExpiryAgain (TimestampPath $.expiry.due_at: the link's expires_at) → ExpireLink
 *     ├─ "deferred" and not grace_over, or "early" and grace_over
 *     │    → WaitForGracePeriod (TimestampPath $.expiry.due_at: expires_at + grace_seconds)
 *     │    → ExpireAfterGracePeriod {payment_link_id, grace_over: true, grace_seconds} ──catch──> ExpiryFailed
 *     │    → AfterExpiry again (with grace_over its outcome is never "deferred")
 *     ├─ $.reminder_error present → RemindersFailed (Fail: the execution fails and alarms)
 *     └─ otherwise → Done (Succeed)
 *
 * Early wake-ups. The tasks compare the clock with the time they are for (1 s of tolerance: Step
 * Functions truncates a Wait's timestamp to the second). A task run early (a redriven execution, a
 * clock skew, the sandbox taking a long wait in steps) changes nothing and answers "early", and the
 * state machine waits again: the expiry tasks through AfterExpiry, which the normal path goes
 * through anyway, until the due_at the task answered (its own word, read from the link: a loop that
 * waited for anything else could spin if the two ever disagreed); the reminder, which has no Choice
 * after it (one would cost a transition per reminder on every link), by failing with
 * ReminderNotDue, which is never retried and is caught back into WaitForReminder (the task's time is
 * that Wait's $.at).
 *
 * Standard workflows are billed per state transition. Counted as states entered (a retry counts
 * one more), asserted by test/infra/link-workflow.test.ts on a local run:
 *   no reminder                            5  (Reminders, WaitForExpiry, ExpireLink, AfterExpiry, Done)
 *   one reminder                           7  (+ WaitForReminder, SendReminder)
 *   two reminders                          9  (+ 2 per reminder)
 *   grace period (no reminder)             8  (+ WaitForGracePeriod, ExpireAfterGracePeriod, AfterExpiry)
 * and, only when a task is woken early, per early wake-up:
 *   expiry woken early                    +3  (AfterExpiry, WaitForExpiryAgain, ExpireLink)
 *   grace-period run woken early          +3  (AfterExpiry, WaitForGracePeriod, ExpireAfterGracePeriod)
 *   reminder woken early                  +2  (WaitForReminder, SendReminder)
 * On AWS a Wait lasts up to a year, so early wake-ups are rare; the sandbox takes a wait longer than
 * Node's longest timer (~24.8 days) in steps, one early wake-up each (a 90-day link without
 * reminders: 3, so +9 locally).
 * The dispatcher computes the reminder schedule up front (workflowInput), so no task computes it,
 * and an empty Map costs one transition, the same as a Choice that would skip it.
 *
 * State stays small: the Map and the reminder task discard their results (resultPath DISCARD),
 * the expiry task keeps only {outcome, status, due_at, grace_over} under $.expiry, so the
 * execution input reaches every Wait unchanged.
 */
import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';
import { functionsTriggeredBy, type TaskTrigger } from '../shared/app/functions.js';
import { REMINDER_NOT_DUE, type ExpireOutcome } from '../shared/domain/workflow/workflow.js';
import { acknowledgeNag } from './nag.js';

/** State names: the sandbox and the tests refer to them, and they appear in the execution history. */
export const WORKFLOW_STATES = {
  reminders: 'Reminders',
  waitForReminder: 'WaitForReminder',
  sendReminder: 'SendReminder',
  reminderFailed: 'ReminderFailed',
  waitForExpiry: 'WaitForExpiry',
  waitForExpiryAgain: 'WaitForExpiryAgain',
  expireLink: 'ExpireLink',
  afterExpiry: 'AfterExpiry',
  waitForGracePeriod: 'WaitForGracePeriod',
  expireAfterGracePeriod: 'ExpireAfterGracePeriod',
  done: 'Done',
  expiryFailed: 'ExpiryFailed',
  remindersFailed: 'RemindersFailed',
} as const;

/** Every task: 3 retries after 2 s, 4 s, 8 s (full jitter), then the Catch. */
export const TASK_RETRY: sfn.RetryProps = {
  errors: [sfn.Errors.ALL],
  maxAttempts: 3,
  interval: Duration.seconds(2),
  backoffRate: 2,
  jitterStrategy: sfn.JitterType.FULL,
};

/** Longer than a task Lambda's own timeout (10 s): a stuck invocation becomes States.Timeout, retried. */
const TASK_TIMEOUT = Duration.seconds(30);

export interface WorkflowTaskFunctions {
  /** The manifest function that runs the reminder task. */
  reminderFn: lambda.IFunction;
  /** The manifest function that runs the expiry task. */
  expireFn: lambda.IFunction;
}

/**
 * The workflow's states, created under a child construct `id` of `scope` (state constructs are not
 * CloudFormation resources: the id only keeps them apart from the scope's other children).
 */
export function buildWorkflowDefinition(scope: Construct, fns: WorkflowTaskFunctions, id = 'LinkWorkflowDefinition'): sfn.IChainable {
  const s = new Construct(scope, id);
  const S = WORKFLOW_STATES;

  /** `before` retriers come first: the first retrier matching an error decides (ASL), so they can exclude one. */
  const invoke = (
    name: string,
    fn: lambda.IFunction,
    payload: Record<string, unknown>,
    result: Pick<tasks.LambdaInvokeProps, 'resultSelector' | 'resultPath'>,
    before: sfn.RetryProps[] = [],
  ) => {
    const task = new tasks.LambdaInvoke(s, name, {
      stateName: name,
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      // One retrier of our own (TASK_RETRY) instead of CDK's default for Lambda service errors.
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
      ...result,
    });
    for (const retry of [...before, TASK_RETRY]) task.addRetry(retry);
    return task;
  };

  const failWithError = (name: string, errorPath: string) =>
    new sfn.Fail(s, name, {
      stateName: name,
      errorPath: sfn.JsonPath.stringAt(`${errorPath}.Error`),
      causePath: sfn.JsonPath.stringAt(`${errorPath}.Cause`),
    });

  // ── Reminders ───────────────────────────────────────────────────────────────────────────────
  const waitForReminder = new sfn.Wait(s, S.waitForReminder, { stateName: S.waitForReminder, time: sfn.WaitTime.timestampPath('$.at') });
  const sendReminder = invoke(
    S.sendReminder,
    fns.reminderFn,
    { payment_link_id: sfn.JsonPath.stringAt('$.payment_link_id'), at: sfn.JsonPath.stringAt('$.at') },
    { resultPath: sfn.JsonPath.DISCARD },
    // Woken early: never retried (a retry would come back within seconds), caught below to wait again.
    [{ errors: [REMINDER_NOT_DUE], maxAttempts: 0 }],
  )
    .addCatch(waitForReminder, { errors: [REMINDER_NOT_DUE], resultPath: sfn.JsonPath.DISCARD })
    .addCatch(failWithError(S.reminderFailed, '$.error'), { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  const reminders = new sfn.Map(s, S.reminders, {
    stateName: S.reminders,
    itemsPath: sfn.JsonPath.stringAt('$.reminders'),
    // One reminder after the other: each waits for its own time.
    maxConcurrency: 1,
    itemSelector: {
      payment_link_id: sfn.JsonPath.stringAt('$.payment_link_id'),
      at: sfn.JsonPath.stringAt('$$.Map.Item.Value.at'),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  reminders.itemProcessor(waitForReminder.next(sendReminder));

  // ── Expiry ──────────────────────────────────────────────────────────────────────────────────
  const expiryFailed = failWithError(S.expiryFailed, '$.error');
  const expire = (name: string, graceOver: boolean) =>
    invoke(
      name,
      fns.expireFn,
      { payment_link_id: sfn.JsonPath.stringAt('$.payment_link_id'), grace_over: graceOver, grace_seconds: sfn.JsonPath.numberAt('$.grace_seconds') },
      {
        resultSelector: { 'outcome.$': '$.Payload.outcome', 'status.$': '$.Payload.status', 'due_at.$': '$.Payload.due_at', grace_over: graceOver },
        resultPath: '$.expiry',
      },
    ).addCatch(expiryFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

  const waitForExpiry = new sfn.Wait(s, S.waitForExpiry, { stateName: S.waitForExpiry, time: sfn.WaitTime.timestampPath('$.expires_at') });
  // A reminder that failed after its retries must not keep the link from expiring: record it and go on.
  reminders.addCatch(waitForExpiry, { errors: [sfn.Errors.ALL], resultPath: '$.reminder_error' });

  const afterExpiry = new sfn.Choice(s, S.afterExpiry, { stateName: S.afterExpiry });
  const expireLink = expire(S.expireLink, false);
  const waitAgain = new sfn.Wait(s, S.waitForExpiryAgain, { stateName: S.waitForExpiryAgain, time: sfn.WaitTime.timestampPath('$.expiry.due_at') }).next(expireLink);
  const graceWait = new sfn.Wait(s, S.waitForGracePeriod, { stateName: S.waitForGracePeriod, time: sfn.WaitTime.timestampPath('$.expiry.due_at') });
  graceWait.next(expire(S.expireAfterGracePeriod, true)).next(afterExpiry);
  const outcome = (value: ExpireOutcome, graceOver: boolean) =>
    sfn.Condition.and(sfn.Condition.stringEquals('$.expiry.outcome', value), sfn.Condition.booleanEquals('$.expiry.grace_over', graceOver));
  afterExpiry
    .when(outcome('early', false), waitAgain)
    .when(sfn.Condition.or(outcome('deferred', false), outcome('early', true)), graceWait)
    .when(
      sfn.Condition.isPresent('$.reminder_error'),
      new sfn.Fail(s, S.remindersFailed, { stateName: S.remindersFailed, error: 'RemindersFailed', causePath: sfn.JsonPath.stringAt('$.reminder_error.Cause') }),
    )
    .otherwise(new sfn.Succeed(s, S.done, { stateName: S.done }));

  return sfn.Chain.start(reminders).next(waitForExpiry).next(expireLink).next(afterExpiry);
}

export interface LinkWorkflowProps extends WorkflowTaskFunctions {
  /** Execution history in CloudWatch Logs (without execution data: the input is ids and times only). */
  logRetention?: logs.RetentionDays;
}

/**
 * The Standard state machine (one execution per link, named after it), its log group, and an
 * alarm on failed executions: a task that still failed after its retries, caught and recorded.
 */
export class LinkWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly failedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LinkWorkflowProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(buildWorkflowDefinition(this, props)),
      comment: 'Paylink: remind, then expire one payment link (execution name = link id)',
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.failedAlarm = new cloudwatch.Alarm(this, 'ExecutionsFailed', {
      alarmDescription: 'A payment-link workflow failed: a reminder or expiry task still failed after its retries (see the execution history)',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const role = this.stateMachine.role;
    acknowledgeNag(
      role,
      'IAM5[Resource::*]',
      'X-Ray tracing of the state machine (xray:PutTraceSegments and its siblings) and the delivery of its execution history ' +
        'to CloudWatch Logs (logs:CreateLogDelivery, PutResourcePolicy and their siblings, which Step Functions logging requires) ' +
        'take no resource ARN, so CDK grants them on *.',
    );
    for (const fn of [props.reminderFn, props.expireFn]) {
      const cfn = fn.node.defaultChild as CfnElement | undefined;
      if (!cfn?.logicalId) continue; // an imported function: no finding to acknowledge
      acknowledgeNag(
        role,
        `IAM5[Resource::<${Stack.of(this).getLogicalId(cfn)}.Arn>:*]`,
        'lambda:invoke may be given a qualified ARN (version or alias) of this one task function; CDK grants the function ARN and its qualifiers (":*"), nothing else.',
      );
    }
  }

  /**
   * For the dispatcher: StartExecution on the state machine, StopExecution on its executions. The
   * cdk-nag finding the latter raises is acknowledged on the grantee, where it appears.
   */
  grantStartStop(grantee: iam.IGrantable & IConstruct): void {
    this.stateMachine.grantStartExecution(grantee);
    this.stateMachine.grantExecution(grantee, 'states:StopExecution');
    // grantExecution names this state machine's executions as execution:<name>:*, the name taken
    // from the state machine's ARN (it is generated by CloudFormation).
    const stateMachineId = Stack.of(this).getLogicalId(this.stateMachine.node.defaultChild as CfnElement);
    acknowledgeNag(
      grantee,
      `IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineId}"}]}]}:*]`,
      'StopExecution names one execution, and executions are named after payment link ids, which are not known at deploy time: ' +
        "the grant covers this state machine's executions and no other state machine's.",
    );
  }
}

// ── The same ASL for the sandbox ──────────────────────────────────────────────────────────────

/** The name of the manifest function that runs a task. */
const taskFunctionName = (task: TaskTrigger['task']): string => functionsTriggeredBy('task').find((entry) => entry.trigger.task === task)?.name ?? task;

/** Placeholder task ARNs in the rendered ASL, named after the task functions; the sandbox maps them to in-process handlers. */
export const PLACEHOLDER_REMINDER_ARN = `arn:aws:lambda:eu-west-1:000000000000:function:paylink-${taskFunctionName('reminder')}`;
export const PLACEHOLDER_EXPIRE_ARN = `arn:aws:lambda:eu-west-1:000000000000:function:paylink-${taskFunctionName('expire')}`;

export interface RenderedWorkflow {
  /** The state machine definition, as the deployed stack's DefinitionString would hold it. */
  asl: Record<string, unknown>;
  reminderArn: string;
  expireArn: string;
}

/**
 * Synthesises LinkWorkflow in a throwaway stack whose task functions are the placeholder ARNs and
 * returns its definition, resolved to plain JSON (AWS::Partition → aws).
 */
export function renderWorkflowAsl(): RenderedWorkflow {
  const app = new App();
  const stack = new Stack(app, 'PaylinkWorkflowRender', { env: { account: '000000000000', region: 'eu-west-1' } });
  const workflow = new LinkWorkflow(stack, 'LinkWorkflow', {
    reminderFn: lambda.Function.fromFunctionArn(stack, 'ReminderFn', PLACEHOLDER_REMINDER_ARN),
    expireFn: lambda.Function.fromFunctionArn(stack, 'ExpireFn', PLACEHOLDER_EXPIRE_ARN),
  });
  const cfn = workflow.stateMachine.node.defaultChild as sfn.CfnStateMachine;
  const definition = resolvePlain(stack.resolve(cfn.definitionString), { 'AWS::Partition': 'aws', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '000000000000' });
  if (typeof definition !== 'string') throw new Error('the workflow definition did not resolve to a string');
  return { asl: JSON.parse(definition) as Record<string, unknown>, reminderArn: PLACEHOLDER_REMINDER_ARN, expireArn: PLACEHOLDER_EXPIRE_ARN };
}

/** Resolves Fn::Join and Ref to pseudo parameters; anything else would mean a real resource leaked in. */
export function resolvePlain(value: unknown, pseudo: Record<string, string>): unknown {
  if (typeof value === 'string' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolvePlain(v, pseudo));
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref' && typeof arg === 'string' && arg in pseudo) return pseudo[arg];
  if (entries.length === 1 && key === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) {
    return (arg[1] as unknown[]).map((part) => {
      const resolved = resolvePlain(part, pseudo);
      if (typeof resolved !== 'string') throw new Error(`cannot render ${JSON.stringify(part)} as text`);
      return resolved;
    }).join(arg[0]);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} outside a deployed stack`);
}
