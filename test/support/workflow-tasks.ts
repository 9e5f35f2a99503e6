/** For the workflow tests: the notifications queue in memory, and task handlers that record each call. */
import type { WorkflowTaskHandler } from '../../sandbox/workflow-runner.js';
import type { NotificationRequest } from '../../shared/domain/notifications/notifications.js';
import type { NotificationQueue } from '../../shared/domain/ports.js';

export class MemoryNotificationQueue implements NotificationQueue {
  readonly requests: NotificationRequest[] = [];
  async enqueue(request: NotificationRequest): Promise<void> {
    this.requests.push(request);
  }
}

export interface TaskCall<R> {
  event: unknown;
  /** Date.now() when the task was invoked. */
  at: number;
  result?: R;
  error?: unknown;
}

/** Wraps a handler to record each invocation (payload, time, result or error). */
export function recorded<R>(handler: WorkflowTaskHandler): { handler: WorkflowTaskHandler; calls: Array<TaskCall<R>> } {
  const calls: Array<TaskCall<R>> = [];
  return {
    calls,
    handler: async (event, context) => {
      const call: TaskCall<R> = { event, at: Date.now() };
      calls.push(call);
      try {
        call.result = (await handler(event, context)) as R;
        return call.result;
      } catch (error) {
        call.error = error;
        throw error;
      }
    },
  };
}
