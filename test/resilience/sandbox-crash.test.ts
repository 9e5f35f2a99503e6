/**
 * Issue 9, item 10: `kill -9` in the middle of a burst loses nothing the sandbox accepted. On AWS
 * SQS, the table's stream and Step Functions are durable; the sandbox must be too.
 *
 * The real `npm start` runs as a child process on a temp data dir. The test creates links with
 * send_by_email, waits for their first emails, then in one burst opens and pays some through the
 * sandbox PSP (whose webhooks Paylink answers 202), opens others, cancels some, and creates more
 * (some about to expire). It SIGKILLs the whole process group right after the last 202, restarts on
 * the same data dir, and waits until every accepted request shows all of its consequences: each
 * link's final status, each accepted provider webhook applied exactly once, each status change with
 * its bus event, its merchant-webhook delivery record and the webhook at the merchant's endpoint,
 * each first email sent exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, merchantSession, type MerchantSession } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { MerchantEndpoint } from '../support/merchant-endpoint.js';
import { npmStart, type Started } from '../support/npm-start.js';
import { CARDS, card, openHostedPage, postForm } from '../support/shopper.js';
import { waitFor } from '../support/wait.js';

const PATH = '/payment/v2/payment-links';
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
/** Links per fate: paid, opened only, cancelled (all three sent by email first), created in the burst, expiring. */
const COUNTS = { paid: 10, opened: 4, cancelled: 6, created: 8, expiring: 3 };

type Fate = keyof typeof COUNTS;
interface Expected {
  id: string;
  fate: Fate;
  status: string;
  /** Statuses the link changes to after creation, in order (each one a merchant webhook). */
  changes: string[];
  email: boolean;
}
interface BusEvent {
  'detail-type': string;
  detail: { event_id: string; payment_link_id: string; status?: string; authorization_status?: string; channel?: string; kind?: string };
}
interface Resource {
  id: string;
  status: string;
  payments: Array<{ id: string; authorization_status: string }>;
  links: { customer_url: { href: string } };
}
interface DeliveryView {
  event_id: string;
  type: string;
  state: string;
}

const distinct = <T extends { detail: { event_id: string } }>(events: T[]) => [...new Map(events.map((e) => [e.detail.event_id, e])).values()];

let dir: string;
let endpoint: MerchantEndpoint;
let sandbox: Started | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paylink-crash-'));
  endpoint = await new MerchantEndpoint().start();
});
afterAll(async () => {
  await sandbox?.stop();
  await endpoint?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function createLinks(m: MerchantSession, fate: Fate, n: number, extra: Record<string, unknown>): Promise<Array<Expected & { resource: Resource }>> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const email = fate !== 'expiring';
      const r = await m.post<Resource>(PATH, createLinkBody({ order: { reference: `crash-${fate}-${i}` }, ...(email ? { send_by_email: true, customer: { email: `crash-${fate}-${i}@example.com` } } : {}), ...extra }));
      if (r.status !== 201) throw new Error(`create answered ${r.status}: ${r.text}`);
      const changes = { paid: ['OPENED', 'PAID'], opened: ['OPENED'], cancelled: ['CANCELLED'], created: [], expiring: ['EXPIRED'] }[fate];
      return { id: r.body.id, fate, status: changes.at(-1) ?? 'CREATED', changes, email, resource: r.body };
    }),
  );
}

async function events(base: string): Promise<BusEvent[]> {
  return (await call<{ events: BusEvent[] }>(base, 'GET', '/sandbox/events')).body.events;
}

/** What is still missing or wrong, link by link (empty once everything accepted has happened). */
async function problems(base: string, m: MerchantSession, expected: Expected[]): Promise<string[]> {
  const all = await events(base);
  const received = new Map(endpoint.bodies().map((b) => [b.id, b]));
  const found: string[] = [];
  for (const link of expected) {
    const mine = all.filter((e) => e.detail.payment_link_id === link.id);
    const of = (type: string) => distinct(mine.filter((e) => e['detail-type'] === type));
    const say = (what: string) => found.push(`${link.fate} ${link.id}: ${what}`);
    const got = await m.get<Resource>(`${PATH}/${link.id}`);
    if (got.body.status !== link.status) say(`status ${got.body.status}, expected ${link.status}`);
    const statuses = of('Payment Link Status Changed').map((e) => e.detail.status);
    if (JSON.stringify(statuses) !== JSON.stringify(['CREATED', ...link.changes])) say(`status events ${statuses.join(',')}`);
    const authorized = of('Payment Status Changed').filter((e) => e.detail.authorization_status === 'AUTHORIZED');
    const payments = got.body.payments.filter((p) => p.authorization_status === 'AUTHORIZED');
    const paid = link.fate === 'paid' ? 1 : 0;
    if (authorized.length !== paid || payments.length !== paid) say(`${payments.length} authorized payments, ${authorized.length} payment events`);
    const emails = of('Payment Link Notification Sent').filter((e) => e.detail.kind === 'INITIAL' && e.detail.channel === 'EMAIL');
    if (emails.length !== (link.email ? 1 : 0)) say(`${emails.length} first emails`);
    const deliveries = (await m.get<{ items: DeliveryView[] }>(`${PATH}/${link.id}/webhook-deliveries`)).body.items ?? [];
    const linkHooks = deliveries.filter((d) => d.type === 'payment_link.status_changed');
    const hookStatuses = linkHooks.map((d) => String((received.get(d.event_id)?.data as { status?: string } | undefined)?.status));
    if (JSON.stringify(hookStatuses) !== JSON.stringify(link.changes)) say(`status webhooks received ${hookStatuses.join(',')}`);
    if (deliveries.filter((d) => d.type === 'payment.status_changed').length !== paid) say('payment webhook records');
    if (deliveries.some((d) => d.state !== 'delivered' || !received.has(d.event_id))) say(`deliveries ${deliveries.map((d) => d.state).join(',')}`);
  }
  return found;
}

describe('the sandbox process killed with SIGKILL in the middle of a burst (issue 9, item 10)', () => {
  it('resumes on restart and loses nothing it accepted: queued provider events, stream records, webhooks, emails, expiries', async () => {
    const started = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const env = {
      PAYLINK_SANDBOX_DIR: dir,
      PAYLINK_SANDBOX_WEBHOOK_URL: endpoint.url,
      PAYLINK_SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PAYLINK_WEBHOOK_RETRY_SCHEDULE: '1,1,1,1',
    };
    // Provider webhooks Paylink accepted: its access log line is written once the event is queued,
    // before the 202 goes out. The kill comes right after the last one.
    let accepted = 0;
    let armed = false;
    let killed: Promise<void> | undefined;
    const killIfDone = () => {
      if (armed && accepted >= COUNTS.paid && sandbox && !killed) killed = sandbox.kill();
    };
    sandbox = await npmStart({ ...env, LOG_LEVEL: 'info' }, (line) => {
      if (!line.includes('/webhooks/{provider}')) return;
      let entry: { message?: string; status?: number } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (entry.message === 'request' && entry.status === 202) {
        accepted += 1;
        killIfDone();
      }
    });
    const first = sandbox;
    phase('started');
    const m = await merchantSession(first.url);

    // Links sent by email, whose first emails go before anything else happens to them.
    const sent = [
      ...(await createLinks(m, 'paid', COUNTS.paid, {})),
      ...(await createLinks(m, 'opened', COUNTS.opened, {})),
      ...(await createLinks(m, 'cancelled', COUNTS.cancelled, {})),
    ];
    await waitFor(async () => {
      const firstEmails = (await events(first.url)).filter((e) => e['detail-type'] === 'Payment Link Notification Sent' && e.detail.kind === 'INITIAL');
      return sent.every((l) => firstEmails.some((e) => e.detail.payment_link_id === l.id));
    }, 20_000);
    phase('first emails');

    // The burst: every request is answered before the kill, the PSP's webhooks last.
    const of = (fate: Fate) => sent.filter((l) => l.fate === fate);
    const [, , created, expiring] = await Promise.all([
      Promise.all(of('cancelled').map(async (l) => expect((await m.post(`${PATH}/${l.id}/cancel`)).status).toBe(200))),
      Promise.all(of('opened').map((l) => openHostedPage(l.resource.links.customer_url.href))),
      createLinks(m, 'created', COUNTS.created, {}),
      createLinks(m, 'expiring', COUNTS.expiring, { expires_at: new Date(Date.now() + 6_000).toISOString() }),
      Promise.all(
        of('paid').map(async (l) => {
          const paid = await postForm(await openHostedPage(l.resource.links.customer_url.href), card(CARDS.authorized));
          expect(paid.status).toBe(303);
        }),
      ),
    ]);
    armed = true;
    killIfDone();
    await waitFor(async () => killed !== undefined, 20_000);
    await killed;
    phase('killed');
    const acceptedBeforeKill = accepted;

    sandbox = await npmStart({ ...env, LOG_LEVEL: 'info' });
    phase('restarted');
    // What the restart found left over (sandbox.ts logs it): the kill must have caught work in flight.
    const resumedLine = sandbox.output().split('\n').find((l) => l.includes('"sandbox resumed"'));
    const resumed = (resumedLine ? JSON.parse(resumedLine) : {}) as { queue_messages?: number; stream_records?: number };
    const m2 = await merchantSession(sandbox.url);
    const expected: Expected[] = [...sent, ...created, ...expiring];
    // Cheap to poll first: as many distinct webhooks at the endpoint and events on the bus as expected.
    const webhooks = expected.reduce((n, l) => n + l.changes.length + (l.fate === 'paid' ? 1 : 0), 0);
    const busEvents = expected.reduce((n, l) => n + 1 + l.changes.length + (l.fate === 'paid' ? 1 : 0) + (l.email ? 1 : 0), 0);
    const ids = new Set(expected.map((l) => l.id));
    await waitFor(async () => {
      const ours = distinct((await events(sandbox!.url)).filter((e) => ids.has(e.detail.payment_link_id)));
      return new Set(endpoint.bodies().map((b) => b.id)).size >= webhooks && ours.length >= busEvents;
    }, 25_000).catch(() => undefined);
    let left: string[] = [];
    await waitFor(async () => (left = await problems(sandbox!.url, m2, expected)).length === 0, 10_000).catch(() => undefined);
    phase('all done');

    const all = await events(sandbox.url);
    const ours = all.filter((e) => ids.has(e.detail.payment_link_id));
    const changes = expected.reduce((n, l) => n + l.changes.length, 0);
    const hooks = endpoint.bodies().filter((b) => b.type === 'payment_link.status_changed');
    console.log(
      [
        `crash test: ${expected.length} links; killed after ${acceptedBeforeKill} provider webhooks answered 202`,
        `  left in flight by the kill: ${resumed.queue_messages ?? 0} queue messages, ${resumed.stream_records ?? 0} stream records`,
        `  provider webhooks applied: ${all.filter((e) => e['detail-type'] === 'Payment Status Changed' && ids.has(e.detail.payment_link_id) && e.detail.authorization_status === 'AUTHORIZED').length} (distinct ${distinct(ours.filter((e) => e['detail-type'] === 'Payment Status Changed')).length})`,
        `  status changes expected: ${changes}; status webhooks at the merchant: ${new Set(hooks.map((h) => h.id)).size} distinct, ${hooks.length} received`,
        `  first emails expected: ${expected.filter((l) => l.email).length}; sent: ${distinct(ours.filter((e) => e['detail-type'] === 'Payment Link Notification Sent' && e.detail.kind === 'INITIAL')).length}`,
        `  bus events: ${distinct(ours).length} distinct, ${ours.length} listed`,
        `  at: ${phases.join(', ')}`,
      ].join('\n'),
    );
    if (left.length > 0) {
      const said = sandbox.output().split('\n').filter((l) => l.startsWith('{"level":"warn"') || l.startsWith('{"level":"error"'));
      console.log(`after the restart, the sandbox warned:\n${said.slice(-20).join('\n')}`);
    }
    expect(acceptedBeforeKill).toBe(COUNTS.paid);
    expect(resumed.queue_messages).toBeGreaterThan(0);
    expect(left).toEqual([]);
  }, 90_000);
});
