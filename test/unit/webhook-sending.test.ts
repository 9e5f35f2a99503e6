/** Sending merchant webhooks from the queue: schedule, Retry-After, 410, chaining, duplicates, manual retries, signing. */
import { createHmac } from 'node:crypto';
import type { Context, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/merchant-webhook-sender/handler.js';
import { ATTEMPT_TIMEOUT_MS, type AttemptResult, type WebhookDelivery } from '../../shared/domain/merchant-webhooks/delivery.js';
import type { DeliveryMessage } from '../../shared/domain/ports.js';
import { AttemptNotRecordedError, DeliveryNotYetRecordedError, sendDelivery, type SendOutcome } from '../../shared/domain/merchant-webhooks/sending.js';
import { createLogger } from '../../shared/logger.js';
import { FixedClock } from '../support/fakes.js';
import { FakeWebhookHttp, MemoryDeliveryQueue, MemoryDeliveryStore, MemoryEndpointHealth, MemorySecretStore } from '../support/webhook-fakes.js';

const SECRET = 'whsec_' + Buffer.from('a'.repeat(32)).toString('base64');
const OLD_SECRET = 'whsec_' + Buffer.from('b'.repeat(32)).toString('base64');
const T0 = new Date('2026-01-15T10:00:00.000Z');

function delivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  const event_id = overrides.event_id ?? 'msg_test_event';
  const body = JSON.stringify({ id: event_id, type: 'payment_link.status_changed', created_at: T0.toISOString(), sequence: 2, data: { id: 'pl_1', status: 'OPENED' } });
  return {
    event_id,
    payment_link_id: 'pl_1',
    entity_id: 'merchant-1',
    type: 'payment_link.status_changed',
    sequence: 2,
    url: 'https://merchant.example/hooks',
    headers: [],
    body,
    state: 'pending',
    attempts: [],
    next_attempt_at: T0.toISOString(),
    created_at: T0.toISOString(),
    updated_at: T0.toISOString(),
    version: 1,
    ...overrides,
  };
}

function setup(answers: Array<Partial<AttemptResult>> = [{ status_code: 200 }], options: { schedule?: readonly number[]; secrets?: string[] } = {}) {
  const deliveries = new MemoryDeliveryStore();
  const queue = new MemoryDeliveryQueue();
  const http = new FakeWebhookHttp(answers);
  const clock = new FixedClock(T0);
  const secrets = new MemorySecretStore({ 'merchant-1': options.secrets ?? [SECRET] });
  const deps = { deliveries, deliveryQueue: queue, webhookHttp: http, webhookSecrets: secrets, clock, ...(options.schedule ? { retrySchedule: options.schedule } : {}) };
  return { deliveries, queue, http, clock, deps };
}

type Setup = ReturnType<typeof setup>;

const first = (d: WebhookDelivery): DeliveryMessage => ({ event_id: d.event_id, payment_link_id: d.payment_link_id });

/** Plays the queue: each message is received after its delay (the clock moves), bounded by `maxMessages`. */
async function drain(s: Setup, maxMessages = 200): Promise<{ outcomes: SendOutcome[]; delays: number[] }> {
  const outcomes: SendOutcome[] = [];
  const delays: number[] = [];
  for (let i = 0; i < maxMessages; i++) {
    const next = s.queue.take();
    if (!next) return { outcomes, delays };
    delays.push(next.delaySeconds);
    s.clock.advance(next.delaySeconds * 1000);
    outcomes.push(await sendDelivery(next.message, s.deps));
  }
  throw new Error('the queue did not drain');
}

describe('sendDelivery: scheduled attempts', () => {
  it('delivers on the first 2xx, records one attempt and enqueues nothing', async () => {
    const s = setup([{ status_code: 204, duration_ms: 40 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    const out = await sendDelivery(first(d), s.deps);
    expect(out.outcome).toBe('attempted');
    const stored = s.deliveries.one(d);
    expect(stored.state).toBe('delivered');
    expect(stored.version).toBe(2);
    expect(stored.next_attempt_at).toBeNull();
    expect(stored.attempts).toEqual([{ at: T0.toISOString(), status_code: 204, duration_ms: 40, error: null }]);
    expect(s.http.requests).toHaveLength(1);
    expect(s.http.requests[0]!.url).toBe(d.url);
    expect(s.http.requests[0]!.body).toBe(d.body);
    expect(s.http.requests[0]!.timeoutMs).toBe(ATTEMPT_TIMEOUT_MS);
    expect(s.queue.messages).toEqual([]);
  });

  it('keeps a failed delivery pending and enqueues the next attempt after the first delay (5 s)', async () => {
    const s = setup([{ status_code: 500 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    await sendDelivery(first(d), s.deps);
    const stored = s.deliveries.one(d);
    expect(stored.state).toBe('pending');
    expect(stored.attempts).toHaveLength(1);
    expect(stored.next_attempt_at).toBe(new Date(T0.getTime() + 5_000).toISOString());
    expect(s.queue.messages).toEqual([{ message: { ...first(d), not_before: stored.next_attempt_at }, delaySeconds: 5 }]);
  });

  it('honours a Retry-After longer than the schedule', async () => {
    const s = setup([{ status_code: 503, retry_after: '120' }, { status_code: 200 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    await sendDelivery(first(d), s.deps);
    expect(s.deliveries.one(d).next_attempt_at).toBe(new Date(T0.getTime() + 120_000).toISOString());
    expect(s.queue.messages[0]!.delaySeconds).toBe(120);

    // Received early (e.g. a redrive), it waits for the rest instead of sending.
    s.clock.advance(100_000);
    const early = await sendDelivery(s.queue.take()!.message, s.deps);
    expect(early).toEqual({ outcome: 'waiting', delay_seconds: 20 });
    expect(s.http.requests).toHaveLength(1);
    await drain(s);
    expect(s.http.requests).toHaveLength(2);
    expect(s.deliveries.one(d).state).toBe('delivered');
  });

  it('stops at 410 Gone: failed with the reason, nothing enqueued', async () => {
    const s = setup([{ status_code: 410 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    await sendDelivery(first(d), s.deps);
    const stored = s.deliveries.one(d);
    expect(stored.state).toBe('failed');
    expect(stored.failure_reason).toMatch(/410/);
    expect(s.queue.messages).toEqual([]);
  });

  it('fails after 8 attempts (1 + the 7 retries of the schedule), each on time, waits chained in hops of at most 15 minutes', async () => {
    const s = setup([{ status_code: null, error: 'ECONNREFUSED' }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    s.queue.messages.push({ message: first(d), delaySeconds: 0 });
    const { delays } = await drain(s, 500);
    const stored = s.deliveries.one(d);
    expect(stored.state).toBe('failed');
    expect(stored.attempts).toHaveLength(8);
    expect(stored.failure_reason).toBe('no success after 8 attempts');
    expect(s.http.requests).toHaveLength(8);
    expect(Math.max(...delays)).toBeLessThanOrEqual(15 * 60);
    // Each attempt happened exactly when the README says: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    // (written out, not read from the constant, so that changing the constant fails here).
    const gaps = stored.attempts.slice(1).map((a, i) => (Date.parse(a.at) - Date.parse(stored.attempts[i]!.at)) / 1000);
    expect(gaps).toEqual([5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]);
    expect(s.queue.messages).toEqual([]);
  });

  it('chains a 2 h wait into 8 hops of 900 s and sends only when due', async () => {
    const s = setup([{ status_code: 200 }]);
    const due = new Date(T0.getTime() + 2 * 3600_000).toISOString();
    const failed = { at: T0.toISOString(), status_code: 500, duration_ms: 5, error: null };
    const d = await s.deliveries.createIfAbsent(delivery({ attempts: [failed, failed, failed], next_attempt_at: due, version: 4 }));
    s.queue.messages.push({ message: { ...first(d), not_before: due }, delaySeconds: 0 });
    const { outcomes, delays } = await drain(s);
    expect(delays).toEqual([0, 900, 900, 900, 900, 900, 900, 900, 900]);
    expect(outcomes.slice(0, 8).map((o) => o.outcome)).toEqual(Array(8).fill('waiting'));
    expect(outcomes[8]!.outcome).toBe('attempted');
    expect(s.http.requests).toHaveLength(1);
    expect(s.deliveries.one(d).attempts.at(-1)!.at).toBe(due);
  });
});

describe('sendDelivery: duplicates and races', () => {
  it('does not POST again for a duplicate message of a delivered delivery', async () => {
    const s = setup([{ status_code: 200 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    await sendDelivery(first(d), s.deps);
    const again = await sendDelivery(first(d), s.deps);
    expect(again).toEqual({ outcome: 'settled', state: 'delivered' });
    expect(s.http.requests).toHaveLength(1);
  });

  it('acknowledges a copy of a message the schedule has moved past, so duplicates never fork the schedule', async () => {
    const s = setup([{ status_code: 500 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    await sendDelivery(first(d), s.deps);
    s.clock.advance(10_000);
    // The dispatcher's message again (a redelivered stream record), after the first attempt.
    expect(await sendDelivery(first(d), s.deps)).toEqual({ outcome: 'stale' });
    expect(await sendDelivery({ ...first(d), not_before: T0.toISOString() }, s.deps)).toEqual({ outcome: 'stale' });
    expect(s.http.requests).toHaveLength(1);
    expect(s.queue.messages).toHaveLength(1);
  });

  it('returns a message that is ahead of its delivery (the write that scheduled it is not visible) to the queue', async () => {
    const s = setup([{ status_code: 200 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    const ahead = { ...first(d), not_before: new Date(T0.getTime() - 1_000 + 60_000).toISOString() };
    expect(await sendDelivery(ahead, s.deps)).toEqual({ outcome: 'waiting', delay_seconds: 59 });
    s.clock.advance(60_000);
    await expect(sendDelivery(ahead, s.deps)).rejects.toBeInstanceOf(DeliveryNotYetRecordedError);
    expect(s.http.requests).toHaveLength(0);
  });

  it('records its attempt on top of a concurrent writer instead of dropping it', async () => {
    const s = setup([{ status_code: 500 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    // Another sender records an attempt between our read and our write.
    s.deliveries.beforeNextUpdate = () => {
      const current = s.deliveries.one(d);
      s.deliveries.items.set(`${d.payment_link_id}/${d.event_id}`, {
        ...current,
        attempts: [{ at: T0.toISOString(), status_code: 502, duration_ms: 1, error: null }],
        next_attempt_at: new Date(T0.getTime() + 5_000).toISOString(),
        version: current.version + 1,
      });
    };
    const out = await sendDelivery(first(d), s.deps);
    expect(out).toMatchObject({ outcome: 'attempted', write_conflicts: 1 });
    const stored = s.deliveries.one(d);
    expect(stored.attempts.map((a) => a.status_code)).toEqual([502, 500]);
    expect(stored.version).toBe(3);
    expect(stored.next_attempt_at).toBe(new Date(T0.getTime() + 5 * 60_000).toISOString());
    // Only the follow-up matching the stored schedule stays current.
    const current = s.queue.messages.filter((m) => m.message.not_before === stored.next_attempt_at);
    expect(current).toHaveLength(1);
  });

  it('does not reopen a delivery that a concurrent sender delivered, but keeps our failed attempt', async () => {
    const s = setup([{ status_code: 500 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    s.deliveries.beforeNextUpdate = () => {
      const current = s.deliveries.one(d);
      s.deliveries.items.set(`${d.payment_link_id}/${d.event_id}`, {
        ...current,
        state: 'delivered',
        attempts: [{ at: T0.toISOString(), status_code: 200, duration_ms: 1, error: null }],
        next_attempt_at: null,
        version: current.version + 1,
      });
    };
    await sendDelivery(first(d), s.deps);
    const stored = s.deliveries.one(d);
    expect(stored.state).toBe('delivered');
    expect(stored.attempts.map((a) => a.status_code)).toEqual([200, 500]);
  });

  it('writes nothing when the follow-up cannot be enqueued, so the message comes back', async () => {
    const s = setup([{ status_code: 500 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    s.queue.failNext = true;
    const err = await sendDelivery(first(d), s.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttemptNotRecordedError);
    expect((err as AttemptNotRecordedError).result.status_code).toBe(500);
    expect(s.deliveries.one(d)).toEqual(d);
    // Redelivered, the same message is still current and tries again.
    expect((await sendDelivery(first(d), s.deps)).outcome).toBe('attempted');
    expect(s.http.requests).toHaveLength(2);
  });
});

describe('sendDelivery: manual retries', () => {
  it('POSTs a failed delivery again on request and delivers it on 2xx, without scheduling', async () => {
    const s = setup([{ status_code: 200 }]);
    const failedAttempt = { at: T0.toISOString(), status_code: 410, duration_ms: 5, error: null };
    const d = await s.deliveries.createIfAbsent(
      delivery({ state: 'failed', attempts: [failedAttempt], next_attempt_at: null, failure_reason: 'the endpoint answered 410 Gone: no more retries' }),
    );
    expect(await sendDelivery(first(d), s.deps)).toEqual({ outcome: 'settled', state: 'failed' });
    expect(s.http.requests).toHaveLength(0);

    s.clock.advance(3600_000);
    const out = await sendDelivery({ ...first(d), manual: true }, s.deps);
    expect(out.outcome).toBe('attempted');
    const stored = s.deliveries.one(d);
    expect(stored.state).toBe('delivered');
    expect(stored.failure_reason).toBeUndefined();
    expect(stored.attempts.at(-1)).toMatchObject({ status_code: 200, manual: true });
    expect(s.http.requests[0]!.headers['webhook-id']).toBe(d.event_id);
    expect(s.queue.messages).toEqual([]);
  });

  it('leaves a failed delivery failed when the manual retry fails, and schedules nothing', async () => {
    const s = setup([{ status_code: 500 }]);
    const d = await s.deliveries.createIfAbsent(delivery({ state: 'failed', next_attempt_at: null }));
    await sendDelivery({ ...first(d), manual: true }, s.deps);
    expect(s.deliveries.one(d).state).toBe('failed');
    expect(s.queue.messages).toEqual([]);
  });
});

describe('sendDelivery: what the merchant receives', () => {
  const verify = (secret: string, id: string, timestamp: string, body: string) =>
    'v1,' + createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64');

  it('signs id.timestamp.body with every live secret (rotation), verifiable with node:crypto', async () => {
    const s = setup([{ status_code: 200 }], { secrets: [SECRET, OLD_SECRET] });
    const d = await s.deliveries.createIfAbsent(delivery());
    await sendDelivery(first(d), s.deps);
    const { headers, body } = s.http.requests[0]!;
    expect(headers['webhook-id']).toBe(d.event_id);
    expect(headers['webhook-timestamp']).toBe(String(T0.getTime() / 1000));
    const signatures = headers['webhook-signature']!.split(' ');
    expect(signatures).toEqual([verify(SECRET, d.event_id, headers['webhook-timestamp']!, body), verify(OLD_SECRET, d.event_id, headers['webhook-timestamp']!, body)]);
    expect(signatures[0]).not.toBe(verify(SECRET, d.event_id, headers['webhook-timestamp']!, body + ' '));
  });

  it("includes the merchant's headers, which cannot override webhook-* or content-type", async () => {
    const s = setup([{ status_code: 200 }]);
    const d = await s.deliveries.createIfAbsent(
      delivery({
        headers: [
          { name: 'X-Merchant-Token', values: ['abc'] },
          { name: 'X-Multi', values: ['a', 'b'] },
          { name: 'Webhook-Id', values: ['forged'] },
          { name: 'webhook-signature', values: ['v1,forged'] },
          { name: 'Webhook-Timestamp', values: ['1'] },
          { name: 'Content-Type', values: ['text/plain'] },
        ],
      }),
    );
    await sendDelivery(first(d), s.deps);
    const { headers } = s.http.requests[0]!;
    expect(headers['x-merchant-token']).toBe('abc');
    expect(headers['x-multi']).toBe('a, b');
    expect(headers['webhook-id']).toBe(d.event_id);
    expect(headers['webhook-timestamp']).toBe(String(T0.getTime() / 1000));
    expect(headers['webhook-signature']).toBe(verify(SECRET, d.event_id, headers['webhook-timestamp']!, d.body));
    expect(headers['content-type']).toBe('application/json');
    expect(Object.keys(headers).filter((k) => k.toLowerCase() === 'webhook-id')).toEqual(['webhook-id']);
  });

  it('uses the attempt timeout it is given', async () => {
    const s = setup([{ status_code: 200 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    await sendDelivery(first(d), { ...s.deps, attemptTimeoutMs: 1234 });
    expect(s.http.requests[0]!.timeoutMs).toBe(1234);
  });

  it('follows a short schedule when given one (the sandbox)', async () => {
    const s = setup([{ status_code: 500 }, { status_code: 500 }, { status_code: 200 }], { schedule: [1, 2] });
    const d = await s.deliveries.createIfAbsent(delivery());
    s.queue.messages.push({ message: first(d), delaySeconds: 0 });
    const { delays } = await drain(s);
    expect(delays).toEqual([0, 1, 2]);
    const stored = s.deliveries.one(d);
    expect(stored.state).toBe('delivered');
    expect(stored.attempts.map((a) => a.status_code)).toEqual([500, 500, 200]);
  });
});

describe('merchant-webhook-sender handler', () => {
  const sqsEvent = (bodies: string[]): SQSEvent =>
    ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) }) as unknown as SQSEvent;

  it('reports only the records that failed, and logs no body, header or secret', async () => {
    const s = setup([{ status_code: 200 }]);
    const d = await s.deliveries.createIfAbsent(delivery({ headers: [{ name: 'Authorization', values: ['Bearer merchant-credential'] }] }));
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const handler = makeHandler({ ...s.deps, endpoints: new MemoryEndpointHealth(), logger });
    const result = await handler(sqsEvent(['not json', JSON.stringify(first(d)), JSON.stringify({ event_id: 1 }), JSON.stringify({ ...first(d), event_id: 'msg_missing' })]), {} as Context);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm2' }] });
    expect(s.deliveries.one(d).state).toBe('delivered');
    const attempted = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'merchant webhook attempted');
    expect(attempted).toMatchObject({ event_id: d.event_id, payment_link_id: d.payment_link_id, status_code: 200, state: 'delivered' });
    const all = lines.join('\n');
    expect(all).not.toContain('merchant-credential');
    expect(all).not.toContain(SECRET.slice(6, 20));
    expect(all).not.toContain('"status":"OPENED"');
    expect(all).not.toContain('v1,');
  });

  it('returns the record when the store fails', async () => {
    const s = setup([{ status_code: 200 }]);
    const d = await s.deliveries.createIfAbsent(delivery());
    s.deliveries.get = () => Promise.reject(new Error('store unavailable'));
    const handler = makeHandler({ ...s.deps, endpoints: new MemoryEndpointHealth(), logger: createLogger({ write: () => undefined }) });
    expect(await handler(sqsEvent([JSON.stringify(first(d))]), {} as Context)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    expect(s.http.requests).toHaveLength(0);
  });
});
