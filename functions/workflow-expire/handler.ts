/**
 * Workflow task (Step Functions, ExpireLink / ExpireAfterGracePeriod): at expires_at, CREATED or
 * OPENED → EXPIRED (conditional write); a PAYMENT_IN_PROGRESS link is `deferred` until the grace
 * period is over, and a terminal link stays as it is. The state machine chooses its next state
 * from `outcome`.
 */
import middy from '@middy/core';
import type { Clock, LinkStore } from '../../shared/domain/ports.js';
import { expireLink, type ExpireOutcome } from '../../shared/domain/workflow/workflow.js';
import type { Logger } from '../../shared/logger.js';

export interface ExpireTaskInput {
  payment_link_id: string;
  /** true on the second run, after the grace period: PAYMENT_IN_PROGRESS expires too. */
  grace_over: boolean;
}

export interface ExpireTaskResult {
  outcome: ExpireOutcome;
  status: string;
}

export interface ExpireTaskDeps {
  store: LinkStore;
  clock: Clock;
  logger: Logger;
}

export function parseExpireTaskInput(event: unknown): ExpireTaskInput {
  const e = event as Partial<Record<keyof ExpireTaskInput, unknown>> | null;
  if (!e || typeof e.payment_link_id !== 'string' || typeof e.grace_over !== 'boolean') {
    throw new TypeError('not an expiry task input: {payment_link_id, grace_over} expected');
  }
  return { payment_link_id: e.payment_link_id, grace_over: e.grace_over };
}

export const makeHandler = (deps: ExpireTaskDeps) =>
  middy<unknown, ExpireTaskResult>().handler(async (event) => {
    const input = parseExpireTaskInput(event);
    const result = await expireLink(input.payment_link_id, input.grace_over, deps);
    deps.logger.info('workflow expiry', { payment_link_id: input.payment_link_id, grace_over: input.grace_over, ...result });
    return result;
  });
