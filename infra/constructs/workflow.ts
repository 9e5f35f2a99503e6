/**
 * The per-link workflow: reminders, then expiry. One Standard execution per link, named after it
 * (infra/link-workflow.ts, docs/workflow.md): it waits for each reminder time and runs the reminder
 * task, then waits for expires_at and runs the expiry task. The tasks are ordinary manifest
 * functions (trigger `task`); the state machine may invoke these two only. The dispatcher starts and
 * stops the executions (its `workflow` port).
 */
import type { Construct } from 'constructs';
import { functionsTriggeredBy, type TaskTrigger } from '../../shared/app/functions.js';
import { LinkWorkflow } from '../link-workflow.js';
import type { PaylinkFunction } from '../paylink-function.js';
import { Concern } from './concern.js';
import type { FunctionAccess } from './function-access.js';

export class Workflow extends Concern {
  readonly linkWorkflow: LinkWorkflow;
  /** The task functions, by the task they run. */
  readonly tasks: Readonly<Record<TaskTrigger['task'], PaylinkFunction>>;

  constructor(scope: Construct, id: string, props: { access: FunctionAccess }) {
    super(scope, id);
    const task = (name: TaskTrigger['task']): PaylinkFunction => {
      const entries = functionsTriggeredBy('task').filter((entry) => entry.trigger.task === name);
      if (entries.length !== 1) throw new Error(`the workflow's ${name} task must be run by exactly one manifest function, not ${entries.length}`);
      return props.access.addFunction(this, entries[0]!);
    };
    // The reminder reads the link and queues a REMINDER per channel (it sends nothing itself); the
    // expiry reads the link and writes it EXPIRED under the version condition (the stream does the rest).
    this.tasks = { reminder: task('reminder'), expire: task('expire') };
    this.linkWorkflow = new LinkWorkflow(this, 'LinkWorkflow', { reminderFn: this.tasks.reminder.fn, expireFn: this.tasks.expire.fn });
    props.access.provide({ workflow: this.linkWorkflow });
  }
}
