/**
 * One message of the merchant-webhook queue → at most one attempt, recorded on the delivery.
 *
 * The queue carries a chain of messages per delivery: the dispatcher's first one, then one per
 * failed scheduled attempt with `not_before` = the delivery's new `next_attempt_at`. A message
 * belongs to the chain only while its `not_before` is the delivery's `next_attempt_at` (or, without
 * `not_before`, while no scheduled attempt has been made): any other copy (a redelivered stream
 * record, an SQS duplicate) is acknowledged without sending, so duplicates never fork the schedule.
 * Waits longer than the queue's maximum delay are chained in hops.
 *
 * The follow-up is enqueued before the attempt is written: if the write fails the message comes
 * back and the follow-up is recognised as stale; if the enqueue fails nothing is written and the
 * message comes back. Either way the schedule cannot silently stop.
 */
import { VersionConflictError } from '../errors.js';
import { afterAttempt, ATTEMPT_TIMEOUT_MS, deliveryHeaders, type AttemptResult, type DeliveryState, type WebhookDelivery } from './delivery.js';
import type { DeliveryMessage, DeliveryQueue, DeliveryStore, EndpointHealth, MerchantSecretStore, WebhookHttp } from '../ports.js';
import type { Clock } from '../ports.js';

/** SQS's maximum DelaySeconds; longer waits are chained. */
export const MAX_QUEUE_DELAY_SECONDS = 900;
/** Rounds of read → decide → conditional write when concurrent writers race on one delivery. */
const MAX_WRITE_ROUNDS = 5;

export interface WebhookSendingDeps {
  deliveries: DeliveryStore;
  deliveryQueue: DeliveryQueue;
  webhookHttp: WebhookHttp;
  webhookSecrets: MerchantSecretStore;
  clock: Clock;
  /** Seconds between scheduled attempts; RETRY_SCHEDULE_SECONDS by default. */
  retrySchedule?: readonly number[];
  attemptTimeoutMs?: number;
  /** "410 stops retries for that endpoint": without it, a 410 stops only its own delivery. */
  endpoints?: EndpointHealth;
}

export type SendOutcome =
  /** No such delivery: nothing to do. */
  | { outcome: 'missing' }
  /** A scheduled message for a delivery that is already delivered or failed. */
  | { outcome: 'settled'; state: DeliveryState }
  /** A copy of a message the schedule has moved past. */
  | { outcome: 'stale' }
  /** Not due yet: the same message was enqueued again for (at most) `delay_seconds`. */
  | { outcome: 'waiting'; delay_seconds: number }
  /** Sent and recorded; `follow_up_delay_seconds` when another scheduled attempt was enqueued. */
  | { outcome: 'attempted'; delivery: WebhookDelivery; result: AttemptResult; follow_up_delay_seconds: number | null; write_conflicts: number }
  /** Sent, but the delivery disappeared before the attempt could be recorded. */
  | { outcome: 'vanished'; result: AttemptResult }
  /** Not sent: the endpoint answered 410 Gone earlier; the delivery is failed with that reason. */
  | { outcome: 'endpoint_gone'; gone_since: string };

/**
 * A scheduled message that is ahead of its delivery: the attempt that enqueued it has not been
 * written (yet). Thrown so that the queue brings the message back later.
 */
export class DeliveryNotYetRecordedError extends Error {
  readonly code = 'delivery_not_yet_recorded';
}

/** The attempt was made but could not be recorded (a store or queue failure); the message must come back. */
export class AttemptNotRecordedError extends Error {
  readonly code = 'attempt_not_recorded';
  constructor(
    readonly result: AttemptResult,
    options: { cause: unknown },
  ) {
    super('the webhook attempt was made but could not be recorded', options);
  }
}

const isSuccess = (result: AttemptResult) => result.status_code !== null && result.status_code >= 200 && result.status_code < 300;

/** Whole seconds from `now` until `at`, at least 0. */
function secondsUntil(at: string, now: Date): number {
  return Math.max(0, Math.ceil((Date.parse(at) - now.getTime()) / 1000));
}

export type MessageStanding = 'current' | 'stale' | 'ahead';

/** Where a scheduled message stands against its (pending) delivery; see the module comment. */
export function messageStanding(message: DeliveryMessage, delivery: WebhookDelivery): MessageStanding {
  const scheduledAttempts = delivery.attempts.filter((a) => !a.manual).length;
  if (message.not_before === undefined) return scheduledAttempts === 0 ? 'current' : 'stale';
  if (delivery.next_attempt_at === null) return 'stale';
  const mine = Date.parse(message.not_before);
  const recorded = Date.parse(delivery.next_attempt_at);
  if (mine === recorded) return 'current';
  return mine < recorded ? 'stale' : 'ahead';
}

/**
 * The delivery with one more attempt. A scheduled attempt landing on a delivery that a concurrent
 * sender has already settled is recorded without reopening it (only a success still delivers it).
 */
export function recordAttempt(
  current: WebhookDelivery,
  result: AttemptResult,
  now: Date,
  options: { manual: boolean; schedule?: readonly number[] },
): WebhookDelivery {
  const opts = { manual: options.manual, ...(options.schedule ? { schedule: options.schedule } : {}) };
  const next =
    current.state === 'pending' || options.manual || isSuccess(result)
      ? afterAttempt(current, result, now, opts)
      : {
          ...current,
          attempts: [...current.attempts, { at: now.toISOString(), status_code: result.status_code, duration_ms: result.duration_ms, error: result.error }],
          updated_at: now.toISOString(),
        };
  return { ...next, version: current.version + 1 };
}

/** Handles one queue message: waits, skips, or makes one attempt and records it (see the module comment). */
export async function sendDelivery(message: DeliveryMessage, deps: WebhookSendingDeps): Promise<SendOutcome> {
  const manual = message.manual === true;
  const delivery = await deps.deliveries.get(message.payment_link_id, message.event_id);
  if (!delivery) return { outcome: 'missing' };

  if (!manual) {
    if (delivery.state !== 'pending') return { outcome: 'settled', state: delivery.state };
    const standing = messageStanding(message, delivery);
    if (standing === 'stale') return { outcome: 'stale' };
    const now = deps.clock.now();
    const due = standing === 'ahead' ? message.not_before : delivery.next_attempt_at;
    const wait = due ? secondsUntil(due, now) : 0;
    if (wait > 0) {
      const delay = Math.min(wait, MAX_QUEUE_DELAY_SECONDS);
      await deps.deliveryQueue.enqueue(message, delay);
      return { outcome: 'waiting', delay_seconds: delay };
    }
    if (standing === 'ahead') {
      throw new DeliveryNotYetRecordedError(`delivery ${delivery.event_id} does not yet show the attempt that scheduled this message`);
    }
  }

  const now = deps.clock.now();
  if (!manual && deps.endpoints) {
    const goneSince = await deps.endpoints.goneSince(delivery.entity_id, delivery.url);
    if (goneSince) {
      await deps.deliveries.update(
        {
          ...delivery,
          state: 'failed',
          next_attempt_at: null,
          failure_reason: `the endpoint answered 410 Gone at ${goneSince}: no more deliveries are attempted to it until an event is replayed there successfully`,
          updated_at: now.toISOString(),
          version: delivery.version + 1,
        },
        delivery.version,
      );
      return { outcome: 'endpoint_gone', gone_since: goneSince };
    }
  }
  const secrets = await deps.webhookSecrets.signingSecrets(delivery.entity_id, now);
  const headers = deliveryHeaders(delivery, secrets, now);
  const result = await deps.webhookHttp.post(delivery.url, headers, delivery.body, deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS);
  if (deps.endpoints) {
    if (result.status_code === 410) await deps.endpoints.markGone(delivery.entity_id, delivery.url, now);
    else if (manual && isSuccess(result)) await deps.endpoints.clear(delivery.entity_id, delivery.url);
  }

  const options = { manual, ...(deps.retrySchedule ? { schedule: deps.retrySchedule } : {}) };
  try {
    let current = delivery;
    for (let round = 0; ; round++) {
      const next = recordAttempt(current, result, now, options);
      let followUp: number | null = null;
      if (!manual && next.state === 'pending' && next.next_attempt_at) {
        followUp = Math.min(secondsUntil(next.next_attempt_at, now), MAX_QUEUE_DELAY_SECONDS);
        await deps.deliveryQueue.enqueue({ event_id: next.event_id, payment_link_id: next.payment_link_id, not_before: next.next_attempt_at }, followUp);
      }
      try {
        await deps.deliveries.update(next, current.version);
        return { outcome: 'attempted', delivery: next, result, follow_up_delay_seconds: followUp, write_conflicts: round };
      } catch (err) {
        if (!(err instanceof VersionConflictError) || round + 1 >= MAX_WRITE_ROUNDS) throw err;
      }
      const fresh = await deps.deliveries.get(message.payment_link_id, message.event_id);
      if (!fresh) return { outcome: 'vanished', result };
      current = fresh;
    }
  } catch (err) {
    throw new AttemptNotRecordedError(result, { cause: err });
  }
}
