/**
 * The per-link workflow in the sandbox: the ASL that CDK synthesises for the stack
 * (infra/link-workflow.ts → renderWorkflowAsl), run by aws-local-stepfunctions with real waits.
 * Its two Lambda tasks run in-process: each Task state's `lambda:invoke` parameters name a
 * placeholder function ARN, which is mapped to the handler given here, called as Lambda would
 * call it (the payload in, a Lambda context) and answered as Step Functions' integration answers
 * (`{ Payload: result }`). Executions are kept by link id, like named executions: starting the same
 * link twice is a no-op.
 *
 * Long waits. The library hands setTimeout the whole of a Wait, and Node fires a delay over 2^31−1 ms
 * (~24.8 days) after 1 ms instead. So the runner times every Wait itself, through the library's
 * waitTimeOverrides (read once as each Wait starts): it knows what each Wait of the definition waits
 * for, and waits at most maxWaitMs of it. A Wait cut short wakes its task early; the task answers
 * "early" and the state machine waits again (infra/link-workflow.ts), so a 90-day link expires on
 * time, for one early wake-up every ~24.8 days. No busy loop: each step is one timer, at least 1 ms,
 * and stop() aborts it.
 */
import './promise-with-resolvers.js';
import type { RunOptions, StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import { WORKFLOW_STATES as S, renderWorkflowAsl, type RenderedWorkflow } from '../infra/link-workflow.js';
import type { WorkflowEngine } from '../shared/domain/ports.js';
import type { WorkflowInput } from '../shared/domain/workflow/workflow.js';
import type { Logger } from '../shared/logger.js';
import { lambdaContext } from './lambda-context.js';

type Overrides = NonNullable<RunOptions['overrides']>;
type LocalHandler = NonNullable<Overrides['taskResourceLocalHandlers']>[string];
type JsonValue = Parameters<LocalHandler>[0];
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/** A Lambda handler as the functions export it (`makeHandler(deps)`). */
export type WorkflowTaskHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Node's longest timer: setTimeout fires a longer delay after 1 ms (TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type LocalExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface LocalExecution {
  /** The execution name: the payment link id. */
  name: string;
  input: WorkflowInput;
  status: LocalExecutionStatus;
  started_at: string;
  stopped_at?: string;
  /** Billable state transitions so far: states entered (including inside the Map) plus retries. */
  transitions: number;
  /** The states entered, in order (Map iterations included). */
  states: string[];
  /**
   * The Wait the execution is parked in: the time it waits for, and when this step of it ends (earlier
   * than `until` when the wait is longer than maxWaitMs: the task then wakes early and waits again).
   */
  waiting?: { state: string; until: string; wakes_at: string };
  /** Why a FAILED execution failed (the Fail state's Error and Cause). */
  error?: { error: string; cause: string };
  output?: unknown;
}

export interface LocalWorkflowOptions {
  /** The handler of the manifest's `reminder` task function. */
  reminder: WorkflowTaskHandler;
  /** The handler of the manifest's `expire` task function. */
  expire: WorkflowTaskHandler;
  logger?: Logger;
  /** The definition to run; renderWorkflowAsl() by default (the sandbox never passes another). */
  workflow?: RenderedWorkflow;
  /**
   * For tests only, by state name: milliseconds for a Wait (waitTimeOverrides) or before a retry
   * (retryIntervalOverrides). The sandbox passes none: waits are real.
   */
  overrides?: Pick<Overrides, 'waitTimeOverrides' | 'retryIntervalOverrides'>;
  /** The longest single step of a Wait, MAX_TIMER_MS by default; tests pass less to see early wake-ups. */
  maxWaitMs?: number;
  /**
   * How many ended executions are kept for GET /sandbox/workflows and settled() (KEEP_ENDED by
   * default); older ones are dropped, their names stay taken. Running executions are always kept.
   */
  keepEnded?: number;
}

/** Ended executions kept by default: enough for a demo and the tests, bounded for a long-lived sandbox. */
export const KEEP_ENDED = 1000;

interface Run extends LocalExecution {
  /** The reminder times whose task has run (not early): the Map's next Wait is for the first other. */
  reminded: Set<string>;
  /** The last expiry task's due_at: what WaitForExpiryAgain and WaitForGracePeriod wait for. */
  expiryDueAt?: string;
  stopRequested: boolean;
  abort?: () => void;
  done: Promise<void>;
}

type Library = typeof import('aws-local-stepfunctions');
let library: Promise<Library> | undefined;
/** Loaded on first use, after the Promise.withResolvers polyfill above has run. */
const loadLibrary = () => (library ??= import('aws-local-stepfunctions'));
/** One StateMachine per definition: building one validates the ASL, about a second on a busy machine. */
const machines = new WeakMap<object, Promise<StateMachine>>();

/** Every Task state's name, inside Map item processors and Parallel branches too. */
export function taskStateNames(definition: { States?: Record<string, unknown> }): string[] {
  const names: string[] = [];
  for (const [name, raw] of Object.entries(definition.States ?? {})) {
    const state = raw as { Type?: string; ItemProcessor?: object; Iterator?: object; Branches?: object[] };
    if (state.Type === 'Task') names.push(name);
    for (const nested of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
      if (nested) names.push(...taskStateNames(nested));
    }
  }
  return names;
}

/** Every Wait state's name, inside Map item processors too. */
export function waitStateNames(definition: { States?: Record<string, unknown> }): string[] {
  return Object.entries(definition.States ?? {}).flatMap(([name, raw]) => {
    const state = raw as { Type?: string; ItemProcessor?: object; Iterator?: object };
    const nested = state.ItemProcessor ?? state.Iterator;
    return [...(state.Type === 'Wait' ? [name] : []), ...(nested ? waitStateNames(nested) : [])];
  });
}

/** What each Wait of the link workflow waits for, from what the runner knows of the execution. */
const WAIT_TARGETS: Record<string, (run: Run) => string | undefined> = {
  [S.waitForReminder]: (run) => run.input.reminders.find((reminder) => !run.reminded.has(reminder.at))?.at,
  [S.waitForExpiry]: (run) => run.input.expires_at,
  [S.waitForExpiryAgain]: (run) => run.expiryDueAt,
  [S.waitForGracePeriod]: (run) => run.expiryDueAt,
};

/** A thrown error as Step Functions reports a Lambda's: Error = its name, Cause = Lambda's JSON. */
function lambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const reported = new Error(JSON.stringify({ errorType: name, errorMessage: message }));
  reported.name = name;
  return reported;
}

const snapshot = (run: Run): LocalExecution => {
  const { reminded: _r, expiryDueAt: _e, stopRequested: _s, abort: _a, done: _d, ...view } = run;
  return structuredClone(view);
};

export class LocalWorkflowEngine implements WorkflowEngine {
  private readonly runs = new Map<string, Run>();
  /** Names whose execution ended, oldest first: the ones whose record is dropped first. */
  private readonly ended: string[] = [];
  /** Names whose record was dropped: still taken, as Step Functions keeps execution names. */
  private readonly droppedNames = new Set<string>();
  private readonly keepEnded: number;
  private readonly workflow: RenderedWorkflow;
  private readonly handlers: ReadonlyMap<string, WorkflowTaskHandler>;
  private readonly maxWaitMs: number;

  constructor(private readonly options: LocalWorkflowOptions) {
    this.workflow = options.workflow ?? renderWorkflowAsl();
    this.maxWaitMs = options.maxWaitMs ?? MAX_TIMER_MS;
    this.keepEnded = options.keepEnded ?? KEEP_ENDED;
    if (!Number.isInteger(this.keepEnded) || this.keepEnded < 0) throw new Error('keepEnded must be a whole number');
    if (!Number.isInteger(this.maxWaitMs) || this.maxWaitMs < 1 || this.maxWaitMs > MAX_TIMER_MS) {
      throw new Error(`maxWaitMs must be an integer from 1 to ${MAX_TIMER_MS}`);
    }
    const untimed = waitStateNames(this.workflow.asl).filter((state) => !WAIT_TARGETS[state]);
    if (untimed.length > 0) throw new Error(`the sandbox does not know what these Wait states wait for: ${untimed.join(', ')}`);
    this.handlers = new Map([
      [this.workflow.reminderArn, options.reminder],
      [this.workflow.expireArn, options.expire],
    ]);
  }

  async start(input: WorkflowInput): Promise<void> {
    const name = input.payment_link_id;
    if (this.runs.has(name) || this.droppedNames.has(name)) return; // a named execution: the name is taken for good
    let settle!: () => void;
    const run: Run = {
      name,
      input: structuredClone(input),
      status: 'RUNNING',
      started_at: new Date().toISOString(),
      transitions: 0,
      states: [],
      reminded: new Set(),
      stopRequested: false,
      done: new Promise<void>((resolve) => (settle = resolve)),
    };
    this.runs.set(name, run);
    try {
      const machine = await this.stateMachine();
      if (run.stopRequested) return this.finish(run, 'ABORTED', settle);
      const local = this.localHandler(run);
      const execution = machine.run(input as unknown as JsonValue, {
        noThrowOnAbort: true,
        context: { Execution: { Name: name } },
        overrides: {
          ...this.options.overrides,
          waitTimeOverrides: this.waitTimes(run),
          taskResourceLocalHandlers: Object.fromEntries(taskStateNames(this.workflow.asl).map((state) => [state, local])),
        },
      });
      run.abort = execution.abort;
      this.options.logger?.debug('workflow started', { payment_link_id: name });
      this.follow(run, execution.result, execution.eventLogs, settle).catch((error: unknown) => {
        run.error = { error: 'Sandbox.RunnerError', cause: error instanceof Error ? error.message : String(error) };
        this.finish(run, 'FAILED', settle);
      });
    } catch (error) {
      this.runs.delete(name);
      settle();
      throw error;
    }
  }

  async stop(paymentLinkId: string): Promise<void> {
    const run = this.runs.get(paymentLinkId);
    if (!run || run.status !== 'RUNNING' || run.stopRequested) return;
    run.stopRequested = true;
    run.abort?.();
    await run.done;
  }

  /** Stops every running execution. */
  async close(): Promise<void> {
    await Promise.all([...this.runs.keys()].map((name) => this.stop(name)));
  }

  executions(): LocalExecution[] {
    return [...this.runs.values()].map(snapshot);
  }

  execution(paymentLinkId: string): LocalExecution | undefined {
    const run = this.runs.get(paymentLinkId);
    return run ? snapshot(run) : undefined;
  }

  /** Resolves when the link's execution has ended (or at once if there is none). */
  async settled(paymentLinkId: string): Promise<LocalExecution | undefined> {
    await this.runs.get(paymentLinkId)?.done;
    return this.execution(paymentLinkId);
  }

  private stateMachine(): Promise<StateMachine> {
    const { asl } = this.workflow;
    let machine = machines.get(asl);
    if (!machine) {
      machine = loadLibrary().then(({ StateMachine }) => new StateMachine(asl as unknown as StateMachineDefinition));
      machines.set(asl, machine);
    }
    return machine;
  }

  /**
   * The length of each Wait, read by the library as the Wait starts: until its time, at most
   * maxWaitMs, at least 1 ms (a timer, so a loop of early wake-ups can never hold the event loop).
   * A test's fixed override of a state wins.
   */
  private waitTimes(run: Run): Record<string, number> {
    const times: Record<string, number> = {};
    for (const state of waitStateNames(this.workflow.asl)) {
      Object.defineProperty(times, state, {
        enumerable: true,
        get: () => {
          const fixed = this.options.overrides?.waitTimeOverrides?.[state];
          if (fixed !== undefined) return fixed;
          const until = WAIT_TARGETS[state]?.(run);
          const target = until === undefined ? NaN : Date.parse(until);
          // Thrown inside the Wait: the execution fails and says why, rather than waking at once.
          if (Number.isNaN(target)) throw new Error(`the sandbox does not know what ${state} waits for`);
          const now = Date.now();
          const ms = Math.min(Math.max(target - now, 1), this.maxWaitMs);
          run.waiting = { state, until: new Date(target).toISOString(), wakes_at: new Date(now + ms).toISOString() };
          return ms;
        },
      });
    }
    return times;
  }

  /** The `lambda:invoke` integration, in-process: {FunctionName, Payload} in, {Payload} out. */
  private localHandler(run: Run): LocalHandler {
    return async (parameters) => {
      // A stopped execution schedules no more tasks (the library would still run a pending retry).
      if (run.stopRequested) throw new Error('the execution was stopped');
      delete run.waiting;
      const { FunctionName, Payload } = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
      const arn = String(FunctionName);
      const handler = this.handlers.get(arn);
      if (!handler) throw new Error(`no local handler for function ${arn}`);
      let result: unknown;
      try {
        result = await handler(structuredClone(Payload), lambdaContext(arn.split(':').pop() ?? arn));
      } catch (error) {
        throw lambdaError(error);
      }
      this.record(run, arn, Payload, result);
      // The result crosses a JSON boundary on AWS too.
      return { Payload: result === undefined ? null : (JSON.parse(JSON.stringify(result)) as JsonValue) };
    };
  }

  /** What the next Wait needs to know: which reminder has been sent, what the grace period waits for. */
  private record(run: Run, arn: string, payload: unknown, result: unknown): void {
    if (arn === this.workflow.reminderArn) {
      const at = (payload as { at?: unknown } | null)?.at;
      if (typeof at === 'string') run.reminded.add(at);
    } else if (arn === this.workflow.expireArn) {
      const dueAt = (result as { due_at?: unknown } | null)?.due_at;
      if (typeof dueAt === 'string') run.expiryDueAt = dueAt;
      else delete run.expiryDueAt;
    }
  }

  private async follow(run: Run, result: Promise<unknown>, events: AsyncGenerator<EventLog>, settle: () => void): Promise<void> {
    const outcome = result.then(
      (output) => ({ ok: true as const, output }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    let failure: { error: string; cause: string } | undefined;
    for await (const event of events) {
      if (event.type === 'StateEntered') {
        run.transitions++;
        run.states.push(event.state.name);
      } else if (event.type === 'StateRetried') {
        run.transitions++;
      } else if (event.type === 'ExecutionFailed') {
        failure = { error: event.Error, cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause) };
      }
    }
    const ended = await outcome;
    if (run.stopRequested) return this.finish(run, 'ABORTED', settle);
    if (ended.ok) {
      run.output = ended.output;
      return this.finish(run, 'SUCCEEDED', settle);
    }
    run.error = failure ?? { error: 'States.Runtime', cause: ended.error instanceof Error ? ended.error.message : String(ended.error) };
    this.options.logger?.error('workflow failed', { payment_link_id: run.name, ...run.error });
    return this.finish(run, 'FAILED', settle);
  }

  private finish(run: Run, status: Exclude<LocalExecutionStatus, 'RUNNING'>, settle: () => void): void {
    run.status = status;
    run.stopped_at = new Date().toISOString();
    delete run.abort;
    delete run.waiting;
    this.options.logger?.debug('workflow ended', { payment_link_id: run.name, status, transitions: run.transitions });
    settle();
    this.ended.push(run.name);
    while (this.ended.length > this.keepEnded) {
      const dropped = this.ended.shift()!;
      this.runs.delete(dropped);
      this.droppedNames.add(dropped);
    }
  }
}
