/**
 * The fault-injection scenario's parts (test/resilience/faults.test.ts): which port calls fail and
 * how in each phase, what each kind of payment must end as, and where lost work would show (dead
 * letters). The expectations are written out, not derived from the code under test.
 */
import { GetQueueAttributesCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import type { Sandbox } from '../../../sandbox/sandbox.js';
import type { AppDeps } from '../../../shared/app/ports.js';
import { FAULTS, failAcknowledgements, type FaultInjector } from './fault-injector.js';

/** The card a shopper pays with: what the sandbox PSP then reports, in order. */
export type Kind = 'authorized' | 'pending' | 'refused' | 'uncertain';

const PAID: Kind[] = ['authorized', 'pending'];

/** authorized: AUTHORIZED; pending: PENDING, AUTHORIZED; refused: REFUSED; uncertain: UNCERTAIN, REFUSED. */
export function outcomeOf(kind: Kind): { status: string; payment: string } {
  return PAID.includes(kind) ? { status: 'PAID', payment: 'AUTHORIZED' } : { status: 'OPENED', payment: 'REFUSED' };
}

/**
 * Newest first, the final event is applied first: a PENDING or UNCERTAIN arriving after it changes
 * nothing, so no link goes through PAYMENT_IN_PROGRESS.
 */
export function expectedWebhooks(kind: Kind): string[] {
  return PAID.includes(kind)
    ? ['payment_link.status_changed:OPENED', 'payment_link.status_changed:PAID', 'payment.status_changed:AUTHORIZED']
    : ['payment_link.status_changed:OPENED', 'payment.status_changed:REFUSED'];
}

export function expectedBusEvents(kind: Kind): string[] {
  return PAID.includes(kind)
    ? ['Payment Link Status Changed:OPENED', 'Payment Link Status Changed:PAID', 'Payment Status Changed:AUTHORIZED']
    : ['Payment Link Status Changed:OPENED', 'Payment Status Changed:REFUSED'];
}

/** Counts the calls of `target[method]` that returned, by key (install before any fault, so it sits inside them). */
export function countCalls<T extends object, K extends keyof T>(
  target: T,
  method: K,
  key: T[K] extends (arg: infer A, ...rest: never[]) => Promise<unknown> ? (arg: A) => string : never,
): Map<string, number> {
  const counts = new Map<string, number>();
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  (target as Record<K, unknown>)[method] = async (...args: unknown[]) => {
    const result = await original.apply(target, args);
    const k = (key as (arg: unknown) => string)(args[0]);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    return result;
  };
  return counts;
}

/** "link:STATUS" of a provider-event message body (what a provider webhook is about). */
function providerEventKey(rawBody: string): string {
  try {
    const { payment } = (JSON.parse(rawBody) as { data: { payment: { payment_link_id: string; authorization_status: string } } }).data;
    return `${payment.payment_link_id}:${payment.authorization_status}`;
  } catch {
    return rawBody.slice(0, 64);
  }
}

/**
 * Faults that fail a stream record are few (budgets: at most 4 per phase): the sandbox's stream
 * delivery counts attempts across records and dead-letters the 5th failing record of a burst even
 * if that record failed only once (sandbox/stream-delivery.ts, reported).
 */
const STREAM_BUDGET = 2;

/** Phase 1: links created and sent by email and SMS. Returns the labels installed. */
export function injectCreationFaults(injector: FaultInjector, deps: AppDeps): string[] {
  injector.wrap(deps.mailer, 'send', { label: 'creation: ses/throttle', rate: 0.5, timing: 'before', error: FAULTS.sesThrottle, key: (email) => email.tags.notification_id });
  injector.wrap(deps.sms, 'send', { label: 'creation: sns/throttle', rate: 0.5, timing: 'before', error: FAULTS.snsThrottle, key: (sms) => sms.message });
  injector.wrap(deps.notificationQueue, 'enqueue', { label: 'creation: notificationQueue/crash-after-enqueue', rate: 0.4, timing: 'after', error: FAULTS.crash, key: (r) => r.id, budget: STREAM_BUDGET });
  injector.wrap(deps.bus, 'publish', { label: 'creation: bus/crash-after-publish', rate: 0.4, timing: 'after', error: FAULTS.crash, key: (events) => events.map((e) => e.id).join(','), budget: STREAM_BUDGET });
  // A notification recorded, then the caller told it timed out: the redelivered request must not send again.
  injector.wrap(deps.links, 'update', { label: 'creation: links.update/timeout-after-write', rate: 0.3, timing: 'after', error: FAULTS.timeout, key: (link, v) => `${link.id}:${v}` });
  return ['creation: ses/throttle', 'creation: sns/throttle', 'creation: notificationQueue/crash-after-enqueue', 'creation: bus/crash-after-publish', 'creation: links.update/timeout-after-write'];
}

/** Phase 2: the payments burst and the merchant webhooks it sets off. Returns the labels installed. */
export function injectPaymentFaults(injector: FaultInjector, sb: Sandbox): string[] {
  const { deps } = sb;
  // DynamoDB, links: throttled reads and writes, and writes that land but time out.
  injector.wrap(deps.links, 'get', { label: 'payments: links.get/throttle', rate: 0.15, timing: 'before', error: FAULTS.throttle, key: (id) => id });
  injector.wrap(deps.links, 'update', { label: 'payments: links.update/throttle', rate: 0.15, timing: 'before', error: FAULTS.throttle, key: (link, v) => `${link.id}:${v}` });
  injector.wrap(deps.links, 'update', { label: 'payments: links.update/timeout-after-write', rate: 0.2, timing: 'after', error: FAULTS.timeout, key: (link, v) => `${link.id}:${v}` });
  // The receiver's queue: throttled (the provider is answered 5xx and retries), or queued and then timed out (queued twice).
  injector.wrap(deps.providerEventQueue, 'enqueue', { label: 'payments: providerEventQueue/throttle', rate: 0.2, timing: 'before', error: FAULTS.sqsThrottle, key: (m) => providerEventKey(m.raw_body) });
  injector.wrap(deps.providerEventQueue, 'enqueue', { label: 'payments: providerEventQueue/timeout-after-send', rate: 0.2, timing: 'after', error: FAULTS.timeout, key: (m) => providerEventKey(m.raw_body) });
  // The consumer crashes after its write and before acknowledging: the batch comes back.
  failAcknowledgements(injector, sb.sqs.client, sb.sqs.queueUrl, {
    label: 'payments: provider-event consumer/crash-before-ack',
    rate: 0.3,
    key: (body) => providerEventKey((JSON.parse(body) as { raw_body: string }).raw_body),
  });
  // The dispatcher: crashes after publishing on the bus, delivery records that time out after landing, a throttled webhook enqueue.
  injector.wrap(deps.bus, 'publish', { label: 'payments: bus/crash-after-publish', rate: 0.3, timing: 'after', error: FAULTS.crash, key: (events) => events.map((e) => e.id).join(','), budget: 1 });
  injector.wrap(deps.deliveries, 'createIfAbsent', {
    label: 'payments: deliveries.createIfAbsent/timeout-after-write',
    rate: 0.2,
    timing: 'after',
    error: FAULTS.timeout,
    budget: 1,
    key: (d) => {
      injector.alias(d.event_id, `${d.payment_link_id}/${d.type}/${d.sequence}`);
      return d.event_id;
    },
  });
  injector.wrap(deps.deliveryQueue, 'enqueue', {
    label: 'payments: deliveryQueue/throttle-first-enqueue',
    rate: 0.2,
    timing: 'before',
    error: FAULTS.sqsThrottle,
    budget: 1,
    key: (m) => (m.not_before || m.manual ? undefined : m.event_id),
  });
  // The sender: throttled delivery reads and writes (a write throttled after the attempt means the attempt is made again).
  // Few: each costs the sender's visibility timeout, and `get` also serves the dispatcher's createIfAbsent (a stream fault).
  injector.wrap(deps.deliveries, 'get', { label: 'payments: deliveries.get/throttle', rate: 0.1, timing: 'before', error: FAULTS.throttle, key: (linkId, eventId) => `${linkId}:${eventId}`, budget: 1 });
  injector.wrap(deps.deliveries, 'update', { label: 'payments: deliveries.update/throttle', rate: 0.1, timing: 'before', error: FAULTS.throttle, key: (d, v) => `${d.event_id}:${v}`, budget: 2 });
  return [
    'payments: links.get/throttle',
    'payments: links.update/throttle',
    'payments: links.update/timeout-after-write',
    'payments: providerEventQueue/throttle',
    'payments: providerEventQueue/timeout-after-send',
    'payments: provider-event consumer/crash-before-ack',
    'payments: bus/crash-after-publish',
    'payments: deliveries.createIfAbsent/timeout-after-write',
    'payments: deliveryQueue/throttle-first-enqueue',
    'payments: deliveries.get/throttle',
    'payments: deliveries.update/throttle',
  ];
}

/** Messages in every dead-letter queue of the sandbox, by queue name (each must be 0). */
export async function deadLetterCounts(sb: Sandbox): Promise<Record<string, number>> {
  const urls = (await sb.sqs.client.send(new ListQueuesCommand({}))).QueueUrls ?? [];
  const counts: Record<string, number> = {};
  for (const url of urls.filter((u) => u.endsWith('-dlq'))) {
    const out = await sb.sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    counts[url.split('/').pop()!] = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
  return counts;
}
