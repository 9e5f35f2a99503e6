/**
 * Workflow task (Step Functions, ExpireLink / ExpireAfterGracePeriod): from expires_at, CREATED or
 * OPENED → EXPIRED (conditional write); a PAYMENT_IN_PROGRESS link is `deferred` until the grace
 * period is over, and a terminal link stays as it is. Woken before its time it writes nothing and
 * answers `early`. The state machine chooses its next state from `outcome`, and waits for `due_at`
 * (always present, as its ResultSelector reads it: null when there is nothing to wait for).
 */
import middy from '@middy/core';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { expireLink, type ExpireOutcome } from '../../shared/domain/workflow/workflow.js';
import { expireTaskInputSchema } from '../../shared/lambda/task-inputs.js';

export interface ExpireTaskResult {
  outcome: ExpireOutcome;
  status: string;
  due_at: string | null;
}

export const makeHandler = (deps: DepsOf<PortsOf<'workflow-expire'>>) =>
  middy<unknown, ExpireTaskResult>().handler(async (event) => {
    const input = expireTaskInputSchema.parse(event);
    const result = await expireLink(input.payment_link_id, input.grace_over, deps, input.grace_seconds);
    deps.logger.info('workflow expiry', { payment_link_id: input.payment_link_id, grace_over: input.grace_over, ...result });
    return { due_at: null, ...result };
  });
