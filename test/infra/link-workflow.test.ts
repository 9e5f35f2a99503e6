/**
 * The per-link workflow's definition as CDK synthesises it: Retry and Catch on every task, the Map,
 * the Waits, the payloads; the ASL the sandbox runs is the stack's; and the state transitions
 * documented in docs/workflow.md, counted on local runs of that ASL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LinkWorkflow,
  PLACEHOLDER_EXPIRE_ARN,
  PLACEHOLDER_REMINDER_ARN,
  WORKFLOW_STATES as S,
  renderWorkflowAsl,
  resolvePlain,
} from '../../infra/link-workflow.js';
import { LocalWorkflowEngine } from '../../sandbox/workflow-runner.js';
import { REMINDER_NOT_DUE, ReminderNotDueError, type WorkflowInput } from '../../shared/domain/workflow/workflow.js';
import type { ExpireTaskResult } from '../../functions/workflow-expire/handler.js';

type State = Record<string, unknown> & { Type: string };
interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

const rendered = renderWorkflowAsl();
const asl = rendered.asl as unknown as Definition;

/** Every state with the States map it lives in (a Catch or Next can only point inside it). */
function statesOf(def: Definition): Array<{ name: string; state: State; scope: Definition }> {
  return Object.entries(def.States).flatMap(([name, state]) => [
    { name, state, scope: def },
    ...(state.ItemProcessor ? statesOf(state.ItemProcessor as Definition) : []),
  ]);
}
const state = (name: string) => {
  const found = statesOf(asl).find((s) => s.name === name);
  if (!found) throw new Error(`no state ${name}`);
  return found.state;
};

describe('the rendered workflow definition', () => {
  const tasks = statesOf(asl).filter((s) => s.state.Type === 'Task');

  it('has the three tasks, each a lambda:invoke of its placeholder function with a bounded timeout', () => {
    expect(tasks.map((t) => t.name).sort()).toEqual([S.expireAfterGracePeriod, S.expireLink, S.sendReminder].sort());
    for (const { name, state: task } of tasks) {
      expect(task.Resource, name).toBe('arn:aws:states:::lambda:invoke');
      expect(task.TimeoutSeconds, name).toBe(30);
      const fn = (task.Parameters as { FunctionName: string }).FunctionName;
      expect(fn, name).toBe(name === S.sendReminder ? PLACEHOLDER_REMINDER_ARN : PLACEHOLDER_EXPIRE_ARN);
    }
  });

  it('gives every task a backoff Retry and a Catch into a Fail state that records the error', () => {
    expect(tasks.length).toBeGreaterThan(0);
    for (const { name, state: task, scope } of tasks) {
      expect(task.Retry, name).toContainEqual({ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' });
      const catches = task.Catch as Array<{ ErrorEquals: string[]; ResultPath: string; Next: string }>;
      const last = catches.at(-1)!;
      expect(last, name).toMatchObject({ ErrorEquals: ['States.ALL'], ResultPath: '$.error' });
      // The handler is a Fail state of the same scope, reporting the caught Error and Cause.
      expect(scope.States[last.Next], name).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    }
    // Only the reminder has more: its early answer, never retried, caught back into its Wait.
    expect(tasks.filter((t) => (t.state.Retry as unknown[]).length > 1 || (t.state.Catch as unknown[]).length > 1).map((t) => t.name)).toEqual([S.sendReminder]);
  });

  it('sends a reminder woken early back to its Wait, without retrying it (issue 9, item 1)', () => {
    expect(REMINDER_NOT_DUE).toBe(new ReminderNotDueError('2026-01-01T00:00:00.000Z').name);
    expect(state(S.sendReminder)).toMatchObject({
      Retry: [{ ErrorEquals: [REMINDER_NOT_DUE], MaxAttempts: 0 }, { ErrorEquals: ['States.ALL'] }],
      Catch: [
        { ErrorEquals: [REMINDER_NOT_DUE], ResultPath: null, Next: S.waitForReminder },
        { ErrorEquals: ['States.ALL'], Next: S.reminderFailed },
      ],
    });
  });

  it('maps over the reminders one at a time, discarding the result, and carries a failed reminder on to expiry', () => {
    const map = state(S.reminders);
    expect(asl.StartAt).toBe(S.reminders);
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.reminders',
      MaxConcurrency: 1,
      ItemSelector: { 'payment_link_id.$': '$.payment_link_id', 'at.$': '$$.Map.Item.Value.at' },
      ResultPath: null,
      Next: S.waitForExpiry,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.reminder_error', Next: S.waitForExpiry }],
      ItemProcessor: { StartAt: S.waitForReminder },
    });
    expect(state(S.waitForReminder)).toEqual({ Type: 'Wait', TimestampPath: '$.at', Next: S.sendReminder });
    expect(state(S.sendReminder)).toMatchObject({
      End: true,
      ResultPath: null,
      Parameters: { Payload: { 'payment_link_id.$': '$.payment_link_id', 'at.$': '$.at' } },
    });
  });

  it('waits until expires_at, expires, waits for the grace period to end before expiring with grace_over, and waits again when woken early', () => {
    expect(state(S.waitForExpiry)).toEqual({ Type: 'Wait', TimestampPath: '$.expires_at', Next: S.expireLink });
    // Both wait for the due_at the expiry task answered: expires_at + grace_seconds, or (early) the time it is due.
    expect(state(S.waitForGracePeriod)).toEqual({ Type: 'Wait', TimestampPath: '$.expiry.due_at', Next: S.expireAfterGracePeriod });
    expect(state(S.waitForExpiryAgain)).toEqual({ Type: 'Wait', TimestampPath: '$.expiry.due_at', Next: S.expireLink });
    for (const [name, graceOver] of [[S.expireLink, false], [S.expireAfterGracePeriod, true]] as const) {
      expect(state(name), name).toMatchObject({
        Next: S.afterExpiry,
        Parameters: { Payload: { 'payment_link_id.$': '$.payment_link_id', grace_over: graceOver, 'grace_seconds.$': '$.grace_seconds' } },
        ResultSelector: { 'outcome.$': '$.Payload.outcome', 'status.$': '$.Payload.status', 'due_at.$': '$.Payload.due_at', grace_over: graceOver },
        ResultPath: '$.expiry',
      });
    }
    const expiry = (outcome: string, graceOver: boolean) => ({
      And: [
        { Variable: '$.expiry.outcome', StringEquals: outcome },
        { Variable: '$.expiry.grace_over', BooleanEquals: graceOver },
      ],
    });
    expect(state(S.afterExpiry)).toEqual({
      Type: 'Choice',
      Choices: [
        { ...expiry('early', false), Next: S.waitForExpiryAgain },
        { Or: [expiry('deferred', false), expiry('early', true)], Next: S.waitForGracePeriod },
        { Variable: '$.reminder_error', IsPresent: true, Next: S.remindersFailed },
      ],
      Default: S.done,
    });
    expect(state(S.remindersFailed)).toEqual({ Type: 'Fail', Error: 'RemindersFailed', CausePath: '$.reminder_error.Cause' });
    expect(state(S.done)).toEqual({ Type: 'Succeed' });
  });

  it('renders the same definition every time', () => {
    expect(JSON.stringify(renderWorkflowAsl())).toBe(JSON.stringify(rendered));
  });
});

describe('LinkWorkflow in a stack', () => {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  function build() {
    const outdir = mkdtempSync(join(tmpdir(), 'paylink-workflow-'));
    outdirs.push(outdir);
    const app = new App({ outdir, context: { '@aws-cdk/core:appMode': 'inmemory' } });
    const stack = new Stack(app, 'WorkflowTest');
    const fn = (id: string) =>
      new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
    const reminderFn = fn('Reminder');
    const expireFn = fn('Expire');
    const workflow = new LinkWorkflow(stack, 'LinkWorkflow', { reminderFn, expireFn });
    return { app, stack, outdir, workflow, reminderFn, expireFn };
  }

  it('deploys exactly the definition the sandbox runs (task function ARNs aside)', () => {
    const { stack, reminderFn, expireFn } = build();
    const machines = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(1);
    const props = Object.values(machines)[0]!.Properties as { DefinitionString: unknown; StateMachineType: string; TracingConfiguration: unknown; LoggingConfiguration: { Level: string } };
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration.Level).toBe('ALL');
    const arnOf = new Map([
      [stack.getLogicalId(reminderFn.node.defaultChild as lambda.CfnFunction), PLACEHOLDER_REMINDER_ARN],
      [stack.getLogicalId(expireFn.node.defaultChild as lambda.CfnFunction), PLACEHOLDER_EXPIRE_ARN],
    ]);
    const placeholders = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(placeholders);
      if (v && typeof v === 'object') {
        const getAtt = (v as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
        if (getAtt && getAtt[1] === 'Arn' && arnOf.has(getAtt[0])) return arnOf.get(getAtt[0]);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, placeholders(x)]));
      }
      return v;
    };
    const deployed = resolvePlain(placeholders(props.DefinitionString), { 'AWS::Partition': 'aws' }) as string;
    expect(JSON.parse(deployed)).toEqual(rendered.asl);
  });

  it('passes cdk-nag with its acknowledgements on the state machine role only', () => {
    const { app, outdir } = build();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch {
      // The test functions themselves have findings (managed policy, runtime); read the report.
    }
    interface Violation {
      ruleName: string;
      severity: string;
      violatingConstructs?: Array<{ constructPath: string }>;
      violatingResources?: Array<{ locations?: string[]; resourceLogicalId?: string }>;
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations: Violation[]; suppressedViolations?: Violation[] }>;
    };
    const paths = (v: Violation) => JSON.stringify(v);
    const open = report.pluginReports.flatMap((r) => r.violations).filter((v) => paths(v).includes('LinkWorkflow'));
    expect(open.map((v) => v.ruleName)).toEqual([]);
    const acknowledged = report.pluginReports.flatMap((r) => r.suppressedViolations ?? []).filter((v) => paths(v).includes('LinkWorkflow'));
    expect(acknowledged.map((v) => v.ruleName.replace(/<[^>]+>/, '<fn>')).sort()).toEqual(
      ['AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-IAM5[Resource::<fn>:*]', 'AwsSolutions-IAM5[Resource::<fn>:*]'].sort(),
    );
  });

  it('lets the dispatcher start executions and stop them, nothing more', () => {
    const { stack, workflow } = build();
    const dispatcher = new lambda.Function(stack, 'Dispatcher', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
    workflow.grantStartStop(dispatcher);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies)
      .filter((p) => JSON.stringify(p).includes('DispatcherServiceRole'))
      .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement);
    expect(statements.flatMap((s) => s.Action).sort()).toEqual(['states:StartExecution', 'states:StopExecution']);
  });
});

describe('state transitions per link (docs/workflow.md, and the head of infra/link-workflow.ts)', () => {
  const past = (ms: number) => new Date(Date.now() - ms).toISOString();
  const input = (id: string, reminders: number): WorkflowInput => ({
    payment_link_id: id,
    reminders: Array.from({ length: reminders }, (_, i) => ({ at: past(1000 - i) })),
    expires_at: past(10),
    grace_seconds: 0,
  });

  /** Runs the definition with scripted task answers: the expiry's in order (then 'expired'), the first `remindersEarly` reminders early. */
  async function transitions(id: string, reminders: number, expiries: ReadonlyArray<ExpireTaskResult['outcome']>, remindersEarly = 0) {
    const answers = [...expiries];
    let early = remindersEarly;
    const engine = new LocalWorkflowEngine({
      workflow: rendered,
      reminder: async () => {
        if (early-- > 0) throw new ReminderNotDueError(past(5));
        return { reminded: ['EMAIL'] };
      },
      expire: async (): Promise<ExpireTaskResult> => {
        const outcome = answers.shift() ?? 'expired';
        return { outcome, status: 'EXPIRED', due_at: outcome === 'early' || outcome === 'deferred' ? past(5) : null };
      },
    });
    await engine.start(input(id, reminders));
    const run = await engine.settled(id);
    expect(run?.status).toBe('SUCCEEDED');
    return run!;
  }

  const PATHS = /^(?:\| | \* {3})(no reminder|one reminder|two reminders|grace period \(no reminder\)|expiry woken early|grace-period run woken early|reminder woken early)(?: \| |\s+)(\+?\d+)\b/gm;
  const documentedIn = (file: string) => Object.fromEntries([...readFileSync(new URL(file, import.meta.url), 'utf8').matchAll(PATHS)].map((m) => [m[1], m[2]]));
  const documented = documentedIn('../../docs/workflow.md');
  const inHeader = documentedIn('../../infra/link-workflow.ts');

  it('documents all seven paths, the same in docs/workflow.md and at the head of the definition', () => {
    expect(Object.keys(documented).sort()).toEqual(
      ['expiry woken early', 'grace period (no reminder)', 'grace-period run woken early', 'no reminder', 'one reminder', 'reminder woken early', 'two reminders'],
    );
    expect(inHeader).toEqual(documented);
  });

  it.each([
    ['no reminder', 0, [], 0, 0, '5'],
    ['one reminder', 1, [], 0, 0, '7'],
    ['two reminders', 2, [], 0, 0, '9'],
    ['grace period (no reminder)', 0, ['deferred'], 0, 0, '8'],
    // An early wake-up costs its extra transitions on top of the path it interrupts.
    ['expiry woken early', 0, ['early'], 0, 5, '+3'],
    ['grace-period run woken early', 0, ['deferred', 'early'], 0, 8, '+3'],
    ['reminder woken early', 1, [], 1, 7, '+2'],
  ] as const)('%s: %i reminders, expiry answers %j, %i early reminders', async (path, reminders, expiries, remindersEarly, base, expected) => {
    const run = await transitions(`count-${path}`, reminders, expiries, remindersEarly);
    expect(run.transitions).toBe(base + Number(expected));
    expect(run.states).toHaveLength(base + Number(expected));
    expect(documented[path]).toBe(expected);
  });

  it('counts one more per retry', async () => {
    let calls = 0;
    const engine = new LocalWorkflowEngine({
      workflow: rendered,
      overrides: { retryIntervalOverrides: { [S.expireLink]: 1 } },
      reminder: async () => ({ reminded: [] }),
      expire: async (): Promise<ExpireTaskResult> => {
        if (calls++ === 0) throw new Error('throttled');
        return { outcome: 'expired', status: 'EXPIRED', due_at: null };
      },
    });
    await engine.start(input('count-retry', 0));
    const run = await engine.settled('count-retry');
    expect(run).toMatchObject({ status: 'SUCCEEDED', transitions: 6 });
  });
});
