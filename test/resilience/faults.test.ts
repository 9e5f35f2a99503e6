/**
 * Fault injection through the ports (issue 9, "the suite that keeps looking"). One in-process
 * sandbox; decorators around the real adapters fail a seeded fraction of calls (see
 * support/fault-injector.ts):
 *
 * 1. Creating links that are sent by email and SMS while SES and SNS throttle, the dispatcher crashes
 *    after publishing on the bus and after queueing a notification, and the notifier's record of a
 *    send times out after landing. (Not a record write that fails after the send: that sends the
 *    message again, a known gap reported with issue 9's resilience suite.)
 * 2. A burst of payments while DynamoDB throttles and times out (links and webhook deliveries), the
 *    provider-event consumer crashes after its write and before acknowledging, the receiver's queue
 *    throttles or times out after queueing, the dispatcher crashes between the bus and the webhook
 *    enqueue, the provider sends each webhook five times and in reverse order, and the merchant's
 *    endpoint answers 500, times out, or (another endpoint) answers 410.
 *
 * After recovery (redelivery by the sandbox's queues and stream, retries by the "shopper" and the
 * "provider"; every wait is for a condition), the final state of every link, the exact set of
 * merchant webhooks and bus events, and every email and SMS are checked: nothing lost, nothing
 * applied twice. The counts are printed. PAYLINK_FAULT_SEED changes the fault plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { DynamoDeliveryStore } from '../../shared/adapters/delivery-store.js';
import { DynamoLinkStore } from '../../shared/adapters/link-store.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { CARDS, card, get, postForm } from '../support/shopper.js';
import { waitFor } from '../support/wait.js';
import { FaultInjector } from './support/fault-injector.js';
import { FlakyEndpoint } from './support/flaky-endpoint.js';
import { countCalls, deadLetterCounts, expectedBusEvents, expectedWebhooks, injectCreationFaults, injectPaymentFaults, outcomeOf, type Kind } from './support/fault-scenario.js';

const SEED = Number(process.env.PAYLINK_FAULT_SEED ?? 20260109);
const LINKS = 12;
const KINDS: Kind[] = ['authorized', 'pending', 'refused', 'uncertain'];
const ATTEMPT_TIMEOUT_MS = 400;
/** Seconds each step of the payments phase took, for the printed summary. */
const timings: string[] = [];
let stepStarted = Date.now();
const step = (name: string) => {
  timings.push(`${name} ${((Date.now() - stepStarted) / 1000).toFixed(1)} s`);
  stepStarted = Date.now();
};

const ctx = useSandboxWithMerchants(beforeAll, afterAll, {
  pspDeliverWebhooks: false, // this test is the provider: five copies of each webhook, newest first
  pendingMs: 150,
  sqsVisibilityTimeoutSeconds: 2, // also the consumers' function timeout in the sandbox: not shorter than a slow batch
  webhookRetrySchedule: [1, 1, 1, 1, 1, 1, 1],
  webhookAttemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
});
const injector = new FaultInjector(SEED);
const flaky = new FlakyEndpoint('flaky', injector, { errorRate: 0.3, holdRate: 0.2, holdMs: ATTEMPT_TIMEOUT_MS + 300 });
const gone = new FlakyEndpoint('gone', injector, { errorRate: 0, holdRate: 0, holdMs: 0 });

interface TestLink {
  id: string;
  kind: Kind;
  email: boolean;
  sms: boolean;
  endpoint: FlakyEndpoint;
}
const links: TestLink[] = [];
/** The test's own view of the table, beside the decorated ports (its reads must not be failed). */
let reader: { links: DynamoLinkStore; deliveries: DynamoDeliveryStore };
const counts = { shopperRetries: 0, providerRetries: 0, providerPosts: 0 };
let emailsSent: Map<string, number>;
let smsSent: Map<string, number>;

beforeAll(async () => {
  reader = { links: new DynamoLinkStore(ctx.sb.db, ctx.sb.tableName), deliveries: new DynamoDeliveryStore(ctx.sb.db, ctx.sb.tableName) };
  await flaky.start();
  await gone.start();
  emailsSent = countCalls(ctx.sb.deps.mailer, 'send', (email) => email.tags.notification_id ?? '');
  smsSent = countCalls(ctx.sb.deps.sms, 'send', (sms) => sms.message);
});

afterAll(async () => {
  injector.restore();
  await flaky.stop();
  await gone.stop();
});

const pool = async <T>(items: T[], width: number, work: (item: T) => Promise<void>) => {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
};

describe('faults injected through the ports', () => {
  it('links sent by email and SMS while SES, SNS, the notification queue and the dispatcher fail: each sent exactly once', async () => {
    const labels = injectCreationFaults(injector, ctx.sb.deps);
    for (let i = 0; i < LINKS; i++) {
      const endpoint = i === LINKS - 1 ? gone : flaky;
      const email = i % 2 === 0;
      const sms = i % 3 === 0;
      const r = await ctx.m1.post<PaymentLinkResource>(
        '/payment/v2/payment-links',
        createLinkBody({
          order: { reference: `faults-${i}` },
          shopper_redirection_url: 'http://localhost:9999/back',
          customer: { email: `shopper-${i}@example.com`, mobile_phone_number: '+33612345678', locale: 'fr-FR' },
          send_by_email: email,
          send_by_sms: sms,
          webhook: { url: endpoint.url },
        }),
      );
      expect(r.status, r.text).toBe(201);
      injector.alias(r.body.id, `link-${i}`);
      links.push({ id: r.body.id, kind: KINDS[i % KINDS.length]!, email, sms, endpoint });
    }
    const wanted = (l: TestLink) => Number(l.email) + Number(l.sms);
    await waitFor(async () => {
      for (const l of links) if (((await reader.links.get(l.id))?.notifications ?? []).length < wanted(l)) return false;
      return true;
    }, 30_000);
    await ctx.sb.settle();
    injector.restore();

    for (const l of links) {
      const stored = (await reader.links.get(l.id))!;
      const channels = [...(l.email ? ['EMAIL'] : []), ...(l.sms ? ['SMS'] : [])];
      expect((stored.notifications ?? []).map((n) => `${n.channel}:${n.kind}:${n.status}`).sort(), l.id).toEqual(channels.map((c) => `${c}:INITIAL:SENT`));
      if (l.email) expect(emailsSent.get(`${l.id}:EMAIL:INITIAL`), `emails for ${l.id}`).toBe(1);
      if (l.sms) expect([...smsSent].filter(([message]) => message.includes(l.id)).map(([, n]) => n), `SMS for ${l.id}`).toEqual([1]);
    }
    expect((await ctx.sb.ses.fetchEmails()).length).toBe(links.filter((l) => l.email).length);
    expect(ctx.sb.sms.messages().length).toBe(links.filter((l) => l.sms).length);
    expect(labels.filter((label) => !injector.injected.has(label)), 'fault kinds never injected').toEqual([]);
  });

  it('a burst of payments through DynamoDB throttling and timeouts, consumer and dispatcher crashes, five reversed copies of every provider webhook and failing merchant endpoints: nothing lost, nothing applied twice', async () => {
    const labels = injectPaymentFaults(injector, ctx.sb);
    stepStarted = Date.now();
    const busBefore = ctx.sb.bus.events.length;

    // Shoppers open their links (retrying an error page, as a person does) and pay on the hosted page.
    await pool(links, 6, async (l) => {
      let page = await get(`${ctx.sb.url}/payment-links/${l.id}`);
      for (let tries = 1; page.status >= 500 && tries < 8; tries++) {
        counts.shopperRetries += 1;
        page = await get(`${ctx.sb.url}/payment-links/${l.id}`);
      }
      expect(page.status, page.html.slice(0, 300)).toBe(303);
      const paid = await postForm(page.location!, card(CARDS[l.kind]));
      expect(paid.status).toBe(l.kind === 'refused' ? 200 : 303); // a refusal shows the provider's page again
    });
    step('open and pay');
    const eventsOf = (l: TestLink) => ctx.sb.psp.events().filter((e) => e.payment.payment_link_id === l.id);
    await waitFor(async () => links.every((l) => eventsOf(l).length === (l.kind === 'pending' || l.kind === 'uncertain' ? 2 : 1)), 15_000);

    // The provider: every webhook five times at once, newest first, retrying whatever is not a 2xx.
    const send = async (eventId: string) => {
      for (let tries = 1; ; tries++) {
        counts.providerPosts += 1;
        const status = await ctx.sb.psp.resend(eventId);
        if (status === 202) return;
        expect(tries, `webhook ${eventId} answered ${status}`).toBeLessThan(10);
        counts.providerRetries += 1;
      }
    };
    for (let round = 0; round < 2; round++) {
      const due = links.flatMap((l) => eventsOf(l).reverse().slice(round, round + 1));
      await Promise.all(due.flatMap((e) => Array.from({ length: 5 }, () => send(e.id))));
      await ctx.sb.poller.drain({ timeoutMs: 30_000 }); // newest-first holds: this round is applied before the older one is sent
      step(`webhooks round ${round + 1}`);
    }

    // Recovery: every webhook delivery has been settled (delivered, or failed for the 410 endpoint).
    const deliveriesOf = (l: TestLink) => reader.deliveries.listForLink(l.id);
    const unsettled = async () => {
      const waiting: string[] = [];
      for (const l of links) {
        const ds = await deliveriesOf(l);
        if (ds.length < expectedWebhooks(l.kind).length) waiting.push(`${l.id}: ${ds.length} deliveries`);
        for (const d of ds.filter((x) => x.state === 'pending')) waiting.push(`${l.id} ${d.type} #${d.sequence}: ${d.attempts.map((a) => a.status_code ?? a.error).join(',')}`);
      }
      return waiting;
    };
    await waitFor(async () => (await unsettled()).length === 0, 40_000).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; still unsettled:\n${(await unsettled()).join('\n')}`);
    });
    step('merchant webhooks settled');
    injector.enabled = false;
    await ctx.sb.settle();
    injector.restore();

    // Every link: its final status and payment, each provider event applied once, nothing settled late.
    for (const l of links) {
      const stored = (await reader.links.get(l.id))!;
      const outcome = outcomeOf(l.kind);
      expect([stored.status, ...stored.payments.map((p) => `${p.authorization_status}${p.late_settlement ? `/${p.late_settlement}` : ''}`)], l.id).toEqual([outcome.status, outcome.payment]);
      // Applied once: the newest event; the older one, arriving after it, changed nothing and is not recorded.
      expect(stored.processed_event_ids ?? [], l.id).toEqual([eventsOf(l).at(-1)!.id]);
      const psp = ctx.sb.psp.payment(stored.payments[0]!.id)!;
      expect([psp.voided, psp.refunded_amount ?? 0]).toEqual([false, 0]);
    }

    // Merchant webhooks: the exact set, each under one id, each received with one body.
    for (const l of links) {
      const ds = await deliveriesOf(l);
      const described = ds.map((d) => `${d.type}:${JSON.parse(d.body).data.status ?? JSON.parse(d.body).data.authorization_status}`).sort();
      expect(described, l.id).toEqual(expectedWebhooks(l.kind).sort());
      expect(ds.map((d) => d.state), l.id).toEqual(ds.map(() => (l.endpoint === gone ? 'failed' : 'delivered')));
    }
    const flakyIds = (await Promise.all(links.filter((l) => l.endpoint === flaky).map(deliveriesOf))).flat().map((d) => d.event_id);
    expect(flaky.ids().sort()).toEqual(flakyIds.sort());
    for (const id of flaky.ids()) expect(new Set(flaky.received.filter((r) => r.webhookId === id).map((r) => r.body)).size, id).toBe(1);
    const goneLink = links.find((l) => l.endpoint === gone)!;
    expect(gone.received.length).toBe(1); // the first 410 stops every later delivery to that URL
    expect((await deliveriesOf(goneLink)).map((d) => d.event_id)).toContain(gone.received[0]!.webhookId);

    // Bus events: the exact set by id, every copy of an id identical.
    const published = ctx.sb.bus.events.slice(busBefore);
    const byId = new Map<string, string[]>();
    for (const e of published) byId.set(e.id, [...(byId.get(e.id) ?? []), JSON.stringify(e)]);
    for (const [id, copies] of byId) expect(new Set(copies).size, id).toBe(1);
    for (const l of links) {
      const mine = [...byId.values()].map((copies) => JSON.parse(copies[0]!) as { 'detail-type': string; detail: Record<string, unknown> }).filter((e) => e.detail.payment_link_id === l.id);
      const described = mine.map((e) => `${e['detail-type']}:${String(e.detail.status ?? e.detail.authorization_status)}`).sort();
      expect(described, l.id).toEqual(expectedBusEvents(l.kind).sort());
    }

    // Nothing parked: no dead stream record, no dead letter on any queue.
    expect(ctx.sb.stream.deadLetters).toEqual([]);
    const dead = await deadLetterCounts(ctx.sb);
    expect(Object.keys(dead)).toHaveLength(4);
    expect(Object.entries(dead).filter(([, n]) => n > 0)).toEqual([]);
    expect(labels.filter((label) => !injector.injected.has(label)), 'fault kinds never injected').toEqual([]);

    const stats = (name: string, s: { delivered: number; deleted: number; failed: number }) => `${name}: ${s.delivered} received, ${s.deleted} acknowledged, ${s.failed} failed`;
    const final = new Map<string, number>();
    for (const l of links) {
      const status = (await reader.links.get(l.id))!.status;
      final.set(status, (final.get(status) ?? 0) + 1);
    }
    console.log(
      [
        `fault injection (seed ${SEED}): ${[...injector.injected.values()].reduce((a, b) => a + b, 0)} faults injected`,
        ...injector.summary().map((line) => `  ${line}`),
        'recovery:',
        `  shopper retries after an error page: ${counts.shopperRetries}`,
        `  provider webhook posts: ${counts.providerPosts} (${counts.providerRetries} retried after a 5xx)`,
        `  ${stats('provider-event consumer', ctx.sb.poller.stats)}`,
        `  ${stats('notifier', ctx.sb.notifierPoller.stats)}`,
        `  ${stats('merchant-webhook sender', ctx.sb.senderPoller.stats)}`,
        `  stream records retried: ${ctx.logs.filter((line) => line.message === 'stream record failed').length}`,
        `  merchant endpoint: ${flaky.received.length} requests for ${flaky.ids().length} webhooks (${flaky.received.filter((r) => r.answer === 500).length}×500, ${flaky.received.filter((r) => r.answer === 'held').length} timed out); 410 endpoint: ${gone.received.length} request`,
        `  bus: ${published.length} events published for ${byId.size} distinct ids`,
        `  time: ${timings.join(', ')}`,
        `final: ${[...final].map(([s, n]) => `${s}×${n}`).join(', ')}; emails ${[...emailsSent.values()].reduce((a, b) => a + b, 0)}, SMS ${[...smsSent.values()].reduce((a, b) => a + b, 0)}`,
      ].join('\n'),
    );
  });
});
