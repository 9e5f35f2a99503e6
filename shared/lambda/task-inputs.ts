/** The inputs Step Functions hands the workflow's task functions (infra/link-workflow.ts), checked at the edge. */
import * as z from 'zod/mini';

export const reminderTaskInputSchema = z.object({
  payment_link_id: z.string().check(z.minLength(1)),
  /** The reminder time this task runs for (ISO 8601), from the execution input: it does nothing before. */
  at: z.iso.datetime(),
});

export const expireTaskInputSchema = z.object({
  payment_link_id: z.string().check(z.minLength(1)),
  /** true on the run after the grace period: PAYMENT_IN_PROGRESS expires too. */
  grace_over: z.boolean(),
  /**
   * The execution's grace period (its input's grace_seconds). Optional: executions started with the
   * previous definition do not pass it, and get the domain's default.
   */
  grace_seconds: z.optional(z.int().check(z.minimum(0))),
});
