/**
 * The sandbox runs every function of the manifest (shared/app/functions.ts) in this process, each
 * behind the stand-in of its trigger: routes behind the gateway, queue consumers behind a poller
 * with the manifest's batch size and the queue's redrive limit, the dispatcher behind the stream,
 * the workflow tasks behind the local Step Functions runner, scheduled functions run once at start
 * (as the deployment trigger does on AWS). No function is named here.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { FUNCTION_NAMES, FUNCTIONS, type FunctionName, type Route, type Trigger } from '../shared/app/functions.js';
import type { AppDeps } from '../shared/app/ports.js';
import type { QueueName } from '../shared/app/queues.js';
import type { Logger } from '../shared/logger.js';
import { lambdaContext } from './lambda-context.js';
import { SqsPoller, type SqsHandler } from './sqs-poller.js';
import type { StreamHandler } from './stream-delivery.js';
import type { WorkflowTaskHandler } from './workflow-runner.js';

type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

/** functions/<name>/handler.ts's makeHandler, given every port (each takes those it lists). */
async function loadHandler(name: FunctionName, deps: AppDeps): Promise<AnyHandler> {
  const mod = (await import(/* @vite-ignore */ `../functions/${name}/handler.js`)) as { makeHandler: (deps: AppDeps) => AnyHandler };
  return mod.makeHandler(deps);
}

export interface PollerSettings {
  client: SQSClient;
  queueUrls: Record<QueueName, string>;
  /** How long a received message stays hidden (short in the sandbox, for quick redelivery). */
  visibilityTimeoutSeconds: (queue: QueueName) => number;
  logger: Logger;
}

export interface SandboxFunctions {
  routes: Map<Route, AnyHandler>;
  /** One poller per queue that has a consumer. */
  pollers: Partial<Record<QueueName, SqsPoller>>;
  stream?: StreamHandler;
  tasks: Partial<Record<Extract<Trigger, { kind: 'task' }>['task'], WorkflowTaskHandler>>;
  /** Scheduled functions that also run at deployment: run them once now. */
  atStart: Array<() => Promise<unknown>>;
}

export async function wireFunctions(deps: AppDeps, pollers: PollerSettings): Promise<SandboxFunctions> {
  const wired: SandboxFunctions = { routes: new Map(), pollers: {}, tasks: {}, atStart: [] };
  for (const name of FUNCTION_NAMES) {
    const handler = await loadHandler(name, deps);
    const trigger: Trigger = FUNCTIONS[name].trigger;
    switch (trigger.kind) {
      case 'route':
        wired.routes.set({ ...trigger, fn: name }, handler);
        break;
      case 'queue':
        wired.pollers[trigger.queue] = new SqsPoller({
          client: pollers.client,
          queueUrl: pollers.queueUrls[trigger.queue],
          handler: handler as SqsHandler,
          functionName: name,
          batchSize: trigger.batchSize,
          // local-aws-sqs holds a long poll for its whole wait time, so keep it short for latency.
          waitTimeSeconds: 0.2,
          visibilityTimeoutSeconds: pollers.visibilityTimeoutSeconds(trigger.queue),
          logger: pollers.logger,
        });
        break;
      case 'stream':
        wired.stream = handler as StreamHandler;
        break;
      case 'task':
        wired.tasks[trigger.task] = handler as WorkflowTaskHandler;
        break;
      case 'schedule':
        if (trigger.atDeployment) wired.atStart.push(() => handler({}, lambdaContext(name)));
        break;
    }
  }
  return wired;
}
