/**
 * Inbound provider webhooks: signature checks at the receiver, then SQS → consumer: duplicates,
 * reordering, a poison message reaching the DLQ, and concurrent or late authorizations.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler as makeConsumer } from '../../functions/provider-webhook-consumer/handler.js';
import { QUEUES } from '../../shared/app/queues.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { call, useSandboxWithMerchants } from '../support/api-client.js';
import { invokeConcurrently, providerEventMessage } from '../support/concurrency.js';
import { createLinkBody } from '../support/fixtures.js';
import { CARDS, card, openHostedPage, postForm } from '../support/shopper.js';
import { waitFor } from '../support/wait.js';

const PATH = '/payment/v2/payment-links';
const ctx = useSandboxWithMerchants(beforeAll, afterAll, { pendingMs: 200, sqsVisibilityTimeoutSeconds: 0.3 });

async function newLink(overrides: Record<string, unknown> = {}): Promise<PaymentLinkResource> {
  const r = await ctx.m1.post<PaymentLinkResource>(PATH, createLinkBody({ shopper_redirection_url: 'http://localhost:9999/back', ...overrides }));
  expect(r.status).toBe(201);
  return r.body;
}

async function stored(id: string) {
  await ctx.sb.settle();
  return (await ctx.sb.deps.links.get(id))!;
}

async function paidLink() {
  const link = await newLink();
  await postForm(await openHostedPage(link.links.customer_url.href), card(CARDS.authorized));
  const after = await stored(link.id);
  expect(after.status).toBe('PAID');
  return after;
}

function eventsFor(linkId: string) {
  return ctx.sb.psp.events().filter((e) => e.payment.payment_link_id === linkId);
}

describe('POST /webhooks/{provider} verification', () => {
  const body = JSON.stringify({ id: 'evt-test', type: 'payment.updated', created_at: new Date().toISOString(), data: {} });

  async function queued() {
    return (await ctx.sb.poller.depth()).visible + (await ctx.sb.poller.depth()).inFlight;
  }

  it('accepts a correctly signed body with 202', async () => {
    const r = await call(ctx.sb.url, 'POST', '/webhooks/sandbox', { headers: { ...ctx.sb.psp.sign(body) }, body });
    expect(r.status).toBe(202);
    await ctx.sb.settle(); // the body is not a valid event: it ends in the DLQ, which is fine here
  });

  it.each([
    ['a tampered body', (h: Record<string, string>) => ({ headers: h, body: body.replace('evt-test', 'evt-evil') })],
    ['a wrong signature', (h: Record<string, string>) => ({ headers: { ...h, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') }, body })],
    ['no signature', (h: Record<string, string>) => ({ headers: { ...h, 'webhook-signature': '' }, body })],
    ['no timestamp', (h: Record<string, string>) => ({ headers: { 'content-type': 'application/json', 'webhook-id': h['webhook-id']!, 'webhook-signature': h['webhook-signature']! }, body })],
  ])('is 401 for %s, and queues nothing', async (_name, mutate) => {
    const before = ctx.sb.poller.stats.delivered;
    const r = await call(ctx.sb.url, 'POST', '/webhooks/sandbox', mutate({ ...ctx.sb.psp.sign(body) }));
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(await queued()).toBe(0);
    await ctx.sb.settle();
    expect(ctx.sb.poller.stats.delivered).toBe(before);
  });

  it.each([6, -6])('is 401 for a timestamp %i minutes off', async (minutes) => {
    const headers = ctx.sb.psp.sign(body, { timestamp: new Date(Date.now() + minutes * 60_000) });
    expect((await call(ctx.sb.url, 'POST', '/webhooks/sandbox', { headers: { ...headers }, body })).status).toBe(401);
  });

  it('accepts a timestamp 4 minutes old (inside the ±5 min tolerance)', async () => {
    const headers = ctx.sb.psp.sign(body, { timestamp: new Date(Date.now() - 4 * 60_000) });
    expect((await call(ctx.sb.url, 'POST', '/webhooks/sandbox', { headers: { ...headers }, body })).status).toBe(202);
    await ctx.sb.settle();
  });

  it('is 404 for an unknown provider', async () => {
    expect((await call(ctx.sb.url, 'POST', '/webhooks/nope', { headers: { ...ctx.sb.psp.sign(body) }, body })).status).toBe(404);
  });
});

describe('applying provider events', () => {
  it('changes nothing when a webhook is delivered again', async () => {
    const link = await paidLink();
    const [event] = eventsFor(link.id);
    expect(await ctx.sb.psp.resend(event!.id)).toBe(202);
    expect(await stored(link.id)).toEqual(link);
  });

  // Each notification below carries an event id the link has not seen, so deduplication cannot
  // catch it: only the rules that statuses move forward can.
  it('never reverts PAID when a PENDING notification of the paid payment arrives after AUTHORIZED (new event id)', async () => {
    const link = await newLink();
    await postForm(await openHostedPage(link.links.customer_url.href), card(CARDS.pending));
    await waitFor(async () => (await stored(link.id)).status === 'PAID');
    const pending = eventsFor(link.id).find((e) => e.payment.authorization_status === 'PENDING')!;
    const paid = await stored(link.id);
    // The provider sends its PENDING again, under a fresh event id (a retry from its own outbox).
    const body = JSON.stringify({ ...JSON.parse(pending.body), id: `${pending.id}-again` });
    expect((await call(ctx.sb.url, 'POST', '/webhooks/sandbox', { headers: { ...ctx.sb.psp.sign(body) }, body })).status).toBe(202);
    await ctx.sb.settle();
    expect(ctx.logs.some((l) => l.message === 'provider event applied' && l.event_id === `${pending.id}-again` && l.outcome === 'stale')).toBe(true);
    expect(await stored(link.id)).toEqual(paid);
  });

  it('never reverts PAID when another tab’s attempt is refused after the link was paid', async () => {
    const link = await newLink();
    const [first, second] = await Promise.all([openHostedPage(link.links.customer_url.href), openHostedPage(link.links.customer_url.href)]);
    await postForm(first!, card(CARDS.authorized));
    expect((await stored(link.id)).status).toBe('PAID');
    await postForm(second!, card(CARDS.refused));
    const after = await stored(link.id);
    expect(after.status).toBe('PAID');
    expect(after.payments.map((p) => p.authorization_status)).toEqual(['AUTHORIZED', 'REFUSED']);
    const changes = ctx.sb.bus.events.filter((e) => e['detail-type'] === 'Payment Link Status Changed' && e.detail.payment_link_id === link.id);
    expect(changes.map((e) => e.detail.status)).toEqual(['CREATED', 'OPENED', 'PAID']);
  });

  it('parks a poison message in the DLQ after 5 receives, without holding up the others', async () => {
    const poison = JSON.stringify({ provider: 'sandbox', raw_body: '{"not":"an event"}', received_at: new Date().toISOString() });
    await ctx.sb.sqs.client.send(new SendMessageCommand({ QueueUrl: ctx.sb.sqs.queueUrl, MessageBody: poison }));
    const link = await paidLink(); // goes through the same queue meanwhile
    expect(link.status).toBe('PAID');
    await waitFor(async () => (await ctx.sb.sqs.peekDeadLetters()).some((m) => m.body === poison), 15_000);
    const dead = (await ctx.sb.sqs.peekDeadLetters()).find((m) => m.body === poison)!;
    const attempts = ctx.logs.filter((l) => l.message === 'provider event failed' && l.message_id === dead.messageId);
    expect(attempts).toHaveLength(5);
  });
});

describe('double and late payments', () => {
  it('with N concurrent authorizations exactly one pays the link; the others are refunded and reported', async () => {
    const N = 6;
    const link = await newLink(); // AUTOMATIC capture: late payments are refunded
    const tabs = await Promise.all(Array.from({ length: N }, () => openHostedPage(link.links.customer_url.href)));
    // The sandbox's consumer takes one message at a time; Lambda runs one invocation per message
    // at once. Hold the queue, then invoke the consumer for every notification concurrently, so the
    // writes race for real and only the conditional write on version keeps them apart.
    await ctx.sb.poller.stop();
    let raced: PaymentLink;
    try {
      await Promise.all(tabs.map((hosted) => postForm(hosted, card(CARDS.authorized))));
      await ctx.sb.psp.idle(); // every notification answered 202 and waits in the queue
      const authorized = eventsFor(link.id).filter((e) => e.payment.authorization_status === 'AUTHORIZED');
      expect(authorized).toHaveLength(N);
      const run = await invokeConcurrently(makeConsumer(ctx.sb.deps), authorized.map((e) => providerEventMessage(e.body)), {
        functionName: 'provider-webhook-consumer',
        maxReceives: QUEUES.providerEvents.maxReceives,
      });
      expect(run.deadLettered).toEqual([]);
      raced = (await ctx.sb.deps.links.get(link.id))!;
    } finally {
      await ctx.sb.poller.start();
    }
    // Every write counted: the creation, N opens, N payments, N - 1 refunds recorded.
    expect(raced.version).toBe(1 + N + N + (N - 1));
    expect(raced.status).toBe('PAID');
    expect(raced.client_sessions).toHaveLength(N);
    expect(raced.payments).toHaveLength(N);
    const late = raced.payments.filter((p) => p.late_settlement);
    expect(late).toHaveLength(N - 1);
    expect(late.every((p) => p.late_settlement === 'REFUNDED')).toBe(true);
    for (const p of late) expect(ctx.sb.psp.payment(p.id)?.refunded_amount).toBe(12000);
    const winner = raced.payments.find((p) => !p.late_settlement)!;
    expect(ctx.sb.psp.payment(winner.id)?.refunded_amount ?? 0).toBe(0);

    // The queued copies are consumed now, one by one: duplicates, they change nothing.
    expect(await stored(link.id)).toEqual(raced);
    const ofLink = ctx.sb.bus.events.filter((e) => e.detail.payment_link_id === link.id);
    const latePayments = ofLink.filter((e) => e['detail-type'] === 'Payment Link Late Payment');
    expect(latePayments.map((e) => e.detail.payment_id).sort()).toEqual(late.map((p) => p.id).sort());
    const changes = ofLink.filter((e) => e['detail-type'] === 'Payment Link Status Changed');
    expect(changes.map((e) => e.detail.status)).toEqual(['CREATED', 'OPENED', 'PAID']);
  });

  it('a payment that completes after the merchant cancelled is voided (manual capture), and the link stays CANCELLED', async () => {
    const link = await newLink({ capture_mode: 'MANUAL' });
    const hosted = await openHostedPage(link.links.customer_url.href);
    expect((await ctx.m1.post(`${PATH}/${link.id}/cancel`)).status).toBe(200);
    await postForm(hosted, card(CARDS.authorized)); // the shopper was already on the PSP's page
    const after = await stored(link.id);
    expect(after.status).toBe('CANCELLED');
    expect(after.payments).toEqual([expect.objectContaining({ authorization_status: 'AUTHORIZED', late_settlement: 'VOIDED' })]);
    expect(ctx.sb.psp.payment(after.payments[0]!.id)?.voided).toBe(true);
    const resource = (await ctx.m1.get<PaymentLinkResource>(`${PATH}/${link.id}`)).body;
    expect(resource.payments).toEqual([{ id: after.payments[0]!.id, authorization_status: 'AUTHORIZED' }]);
  });
});

