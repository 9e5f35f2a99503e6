/**
 * Merchant webhooks end to end in the sandbox: a paid link's two streams at a loopback endpoint,
 * retries with a (shortened) schedule, the delivery log, replay, Retry-After, 410, secret rotation,
 * and a dispatcher crash between publishing and enqueueing.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../shared/domain/ports.js';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { MerchantEndpoint, type Received } from '../support/merchant-endpoint.js';
import { CARDS, card, openHostedPage, postForm } from '../support/shopper.js';
import { waitFor } from '../support/wait.js';

const PATH = '/payment/v2/payment-links';
const ctx = useSandboxWithMerchants(beforeAll, afterAll, { webhookRetrySchedule: [1, 1, 1, 1, 1, 1, 1], pendingMs: 300 });
let endpoint: MerchantEndpoint;

beforeEach(async () => {
  await endpoint?.stop();
  endpoint = await new MerchantEndpoint().start();
});
afterAll(async () => {
  await endpoint?.stop();
});

type Delivery = {
  event_id: string;
  type: string;
  sequence: number;
  state: string;
  url: string;
  next_attempt_at: string | null;
  failure_reason?: string;
  attempts: Array<{ at: string; status_code: number | null; duration_ms: number; error: string | null; manual?: boolean }>;
};

async function newLink(overrides: Record<string, unknown> = {}): Promise<PaymentLinkResource> {
  const r = await ctx.m1.post<PaymentLinkResource>(
    PATH,
    createLinkBody({
      shopper_redirection_url: 'http://localhost:9999/back',
      webhook: { url: endpoint.url, headers: [{ name: 'x-order-id', values: ['order-77'] }] },
      ...overrides,
    }),
  );
  expect(r.status).toBe(201);
  return r.body;
}

async function deliveries(linkId: string): Promise<Delivery[]> {
  const r = await ctx.m1.get<{ items: Delivery[] }>(`${PATH}/${linkId}/webhook-deliveries`);
  expect(r.status).toBe(200);
  return r.body.items;
}

function verify(r: Received, secret = ctx.sb.merchantWebhookSecret) {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  }) as { id: string; type: string; sequence: number; data: Record<string, unknown> };
}

describe('a paid link', () => {
  it('sends both streams, signed, with the link’s headers, in increasing sequence', async () => {
    const link = await newLink();
    await postForm(await openHostedPage(link.links.customer_url.href), card(CARDS.pending));
    await waitFor(async () => (await ctx.m1.get<PaymentLinkResource>(`${PATH}/${link.id}`)).body.status === 'PAID');
    await ctx.sb.settle();

    const bodies = endpoint.received.map((r) => verify(r));
    const seen = bodies.map((b) => [b.type, b.sequence, b.type === 'payment_link.status_changed' ? b.data.status : b.data.authorization_status]);
    expect(seen).toEqual([
      ['payment_link.status_changed', 2, 'OPENED'],
      ['payment_link.status_changed', 3, 'PAYMENT_IN_PROGRESS'],
      ['payment.status_changed', 3, 'PENDING'],
      ['payment_link.status_changed', 4, 'PAID'],
      ['payment.status_changed', 4, 'AUTHORIZED'],
    ]);
    for (const r of endpoint.received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-order-id']).toBe('order-77');
      expect(r.headers['webhook-id']).toBe(JSON.parse(r.body).id);
    }
    // The link stream carries the resource as GET returns it; the payment stream the payment.
    const paid = bodies[3]!.data;
    expect(paid).toEqual((await ctx.m1.get(`${PATH}/${link.id}`)).body);
    expect(Object.keys(bodies[4]!.data).sort()).toEqual(['amount', 'authorization_status', 'client_session_id', 'created_at', 'currency', 'id', 'payment_link_id']);
    const log = await deliveries(link.id);
    expect(log.map((d) => d.state)).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered']);
    expect(log.map((d) => d.event_id).sort()).toEqual(bodies.map((b) => b.id).sort());
  });
});

describe('retries', () => {
  it('an endpoint that fails twice then recovers receives the event on the third attempt; the log shows all three', async () => {
    const link = await newLink();
    endpoint.script.push({ status: 500 }, { status: 503 });
    await ctx.m1.post(`${PATH}/${link.id}/cancel`);
    await waitFor(async () => (await deliveries(link.id))[0]?.state === 'delivered', 15_000);
    const [delivery] = await deliveries(link.id);
    expect(delivery!.attempts.map((a) => a.status_code)).toEqual([500, 503, 200]);
    expect(delivery!.attempts.every((a) => a.duration_ms >= 0 && Date.parse(a.at) > 0)).toBe(true);
    expect(endpoint.received).toHaveLength(3);
    const ids = new Set(endpoint.received.map((r) => r.headers['webhook-id']));
    const bodies = new Set(endpoint.received.map((r) => r.body));
    expect(ids.size).toBe(1); // the same webhook-id on every retry…
    expect(bodies.size).toBe(1); // …and the same body
    expect(new Set(endpoint.received.map((r) => r.headers['webhook-timestamp'])).size).toBeGreaterThan(1);
  });

  it('honours Retry-After: the next attempt is not scheduled sooner', async () => {
    const link = await newLink();
    endpoint.script.push({ status: 429, headers: { 'retry-after': '120' } });
    await ctx.m1.post(`${PATH}/${link.id}/cancel`);
    await waitFor(async () => ((await deliveries(link.id))[0]?.attempts.length ?? 0) >= 1);
    const [delivery] = await deliveries(link.id);
    expect(delivery!.state).toBe('pending');
    const gap = Date.parse(delivery!.next_attempt_at!) - Date.parse(delivery!.attempts[0]!.at);
    expect(gap).toBeGreaterThanOrEqual(120_000);
  });

  it('stops at 410 Gone and records why', async () => {
    const link = await newLink();
    endpoint.script.push({ status: 410 });
    await ctx.m1.post(`${PATH}/${link.id}/cancel`);
    await waitFor(async () => (await deliveries(link.id))[0]?.state === 'failed');
    await ctx.sb.settle();
    const [delivery] = await deliveries(link.id);
    expect(delivery!.attempts).toHaveLength(1);
    expect(delivery!.failure_reason).toContain('410');
    expect(endpoint.received).toHaveLength(1);
  });

  it('after a 410, later events to that endpoint are not attempted until a replay there succeeds', async () => {
    const first = await newLink();
    endpoint.script.push({ status: 410 });
    await ctx.m1.post(`${PATH}/${first.id}/cancel`);
    await waitFor(async () => (await deliveries(first.id))[0]?.state === 'failed');

    const second = await newLink();
    await ctx.m1.post(`${PATH}/${second.id}/cancel`);
    await waitFor(async () => (await deliveries(second.id))[0]?.state === 'failed');
    const [skipped] = await deliveries(second.id);
    expect(skipped!.attempts).toHaveLength(0);
    expect(skipped!.failure_reason).toContain('410 Gone');
    expect(endpoint.received).toHaveLength(1); // only the first event reached it

    // The merchant fixes its endpoint and replays: that succeeds and re-enables the endpoint.
    expect((await ctx.m1.post(`/payment/v2/webhook-deliveries/${skipped!.event_id}/retry`)).status).toBe(202);
    await waitFor(async () => (await deliveries(second.id))[0]?.state === 'delivered');
    const third = await newLink();
    await ctx.m1.post(`${PATH}/${third.id}/cancel`);
    await waitFor(async () => (await deliveries(third.id))[0]?.state === 'delivered');
    expect(endpoint.received).toHaveLength(3);
  });

  it('does not follow redirects', async () => {
    const target = await new MerchantEndpoint().start();
    try {
      const link = await newLink();
      endpoint.script.push({ status: 307, headers: { location: target.url } });
      await ctx.m1.post(`${PATH}/${link.id}/cancel`);
      await waitFor(async () => ((await deliveries(link.id))[0]?.attempts.length ?? 0) >= 1);
      expect((await deliveries(link.id))[0]!.attempts[0]!.status_code).toBe(307);
      expect(target.received).toHaveLength(0);
    } finally {
      await target.stop();
    }
  });

  it('fails a delivery after the whole schedule, and a replay resends it with the same webhook-id', async () => {
    const link = await newLink();
    endpoint.script.push(...Array.from({ length: 8 }, () => ({ status: 500 })));
    await ctx.m1.post(`${PATH}/${link.id}/cancel`);
    await waitFor(async () => (await deliveries(link.id))[0]?.state === 'failed', 30_000);
    const [failed] = await deliveries(link.id);
    expect(failed!.attempts).toHaveLength(8);
    expect(failed!.failure_reason).toContain('8 attempts');

    const replay = await ctx.m1.post(`/payment/v2/webhook-deliveries/${failed!.event_id}/retry`);
    expect(replay.status).toBe(202);
    await waitFor(async () => (await deliveries(link.id))[0]?.state === 'delivered');
    const [after] = await deliveries(link.id);
    expect(after!.attempts).toHaveLength(9);
    expect(after!.attempts[8]).toMatchObject({ status_code: 200, manual: true });
    const ids = new Set(endpoint.received.map((r) => r.headers['webhook-id']));
    expect([...ids]).toEqual([failed!.event_id]);
  });
});

describe('merchant scoping', () => {
  it('hides another merchant’s delivery log and events (404)', async () => {
    const link = await newLink();
    await ctx.m1.post(`${PATH}/${link.id}/cancel`);
    await ctx.sb.settle();
    const [delivery] = await deliveries(link.id);
    expect((await ctx.m2.get(`${PATH}/${link.id}/webhook-deliveries`)).status).toBe(404);
    expect((await ctx.m2.post(`/payment/v2/webhook-deliveries/${delivery!.event_id}/retry`)).status).toBe(404);
    expect((await ctx.m1.post(`/payment/v2/webhook-deliveries/msg_unknown/retry`)).status).toBe(404);
  });
});

describe('secret rotation', () => {
  it('honours Idempotency-Key: a retried rotation returns the same secret and does not rotate again', async () => {
    const key = { 'idempotency-key': 'rotate-once' };
    const first = await ctx.m1.post<{ secret: string }>('/payment/v2/webhook-secrets/rotate', undefined, key);
    const retry = await ctx.m1.post<{ secret: string }>('/payment/v2/webhook-secrets/rotate', undefined, key);
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.body.secret).toBe(first.body.secret);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    // Still the secret the merchant deployed after the first call, plus the one before it: no third.
    expect(await ctx.sb.deps.webhookSecrets.signingSecrets('demo-entity', new Date())).toEqual([first.body.secret, ctx.sb.merchantWebhookSecret]);
  });

  it('signs with both secrets during the grace period, so receivers with either verify', async () => {
    const rotated = await ctx.m2.post<{ secret: string; previous_secret_expires_at: string }>('/payment/v2/webhook-secrets/rotate');
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3600_000);
    const r = await ctx.m2.post<PaymentLinkResource>(
      PATH,
      createLinkBody({ entity_id: 'demo-entity-2', shopper_redirection_url: 'http://localhost:9999/back', webhook: { url: endpoint.url } }),
    );
    await ctx.m2.post(`${PATH}/${r.body.id}/cancel`);
    await waitFor(async () => endpoint.received.length >= 1);
    const [received] = endpoint.received;
    expect(String(received!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(received!, rotated.body.secret).type).toBe('payment_link.status_changed');
    expect(verify(received!, ctx.sb.merchantWebhookSecret).type).toBe('payment_link.status_changed');
  });
});

describe('a dispatcher crash between publishing and enqueueing', () => {
  it('loses nothing and sends nothing twice under a new id', async () => {
    const link = await newLink();
    const queue = ctx.sb.deps.deliveryQueue;
    const original = queue.enqueue.bind(queue);
    let crashes = 1;
    queue.enqueue = async (message: DeliveryMessage, delay?: number) => {
      if (crashes-- > 0) throw new Error('simulated crash after publishing');
      return original(message, delay);
    };
    try {
      await ctx.m1.post(`${PATH}/${link.id}/cancel`);
      await ctx.sb.settle();
      await waitFor(async () => endpoint.received.length >= 1);
      await ctx.sb.settle();
    } finally {
      queue.enqueue = original;
    }
    expect(crashes).toBe(-1); // the crash happened (and the retry went through)
    expect(endpoint.received).toHaveLength(1);
    const events = ctx.sb.bus.events.filter((e) => e.detail.payment_link_id === link.id && e.detail.status === 'CANCELLED');
    expect(events.length).toBeGreaterThanOrEqual(2); // published again on the redelivered record…
    expect(new Set(events.map((e) => e.id)).size).toBe(1); // …under the same event id
    expect((await deliveries(link.id)).map((d) => d.state)).toEqual(['delivered']);
  });
});

describe('sandbox configuration', () => {
  it('takes the demo merchants’ secret from PAYLINK_SANDBOX_WEBHOOK_SECRET and refuses a malformed one', async () => {
    const { startSandbox } = await import('../../sandbox/sandbox.js');
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const sb = await startSandbox({ port: 0, sesPort: 0, merchantWebhookSecret: secret });
    try {
      expect(await sb.deps.webhookSecrets.signingSecrets('demo-entity', new Date())).toEqual([secret]);
    } finally {
      await sb.stop();
    }
    await expect(startSandbox({ port: 0, sesPort: 0, merchantWebhookSecret: 'not-a-secret' })).rejects.toThrow(/whsec_/);
  });
});
