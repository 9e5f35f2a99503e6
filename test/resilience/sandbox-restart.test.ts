/**
 * A restart of the sandbox on its data dir (issue 9, item 10) takes up what the last run left: the
 * sandbox PSP still knows its sessions and payments (the webhook consumer confirms every
 * notification with it), and a webhook retry that was scheduled, a delayed message in a queue, is
 * still sent. One data dir for the file; each test restarts the sandbox on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/sandbox.js';
import { createLogger } from '../../shared/logger.js';
import { merchantSession } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { MerchantEndpoint } from '../support/merchant-endpoint.js';
import { CARDS, card, openHostedPage, postForm } from '../support/shopper.js';
import { waitFor } from '../support/wait.js';

const PATH = '/payment/v2/payment-links';
interface Resource {
  id: string;
  status: string;
  payments: Array<{ id: string; authorization_status: string }>;
  client_sessions: Array<{ id: string }>;
  links: { customer_url: { href: string } };
}
interface Deliveries {
  items: Array<{ event_id: string; state: string; attempts: Array<{ status_code?: number }> }>;
}

let dir: string;
let options: SandboxOptions;
let sb: Sandbox;
const endpoint = new MerchantEndpoint();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paylink-restart-'));
  await endpoint.start();
  options = { port: 0, sesPort: 0, dataDir: dir, webhookRetrySchedule: [2, 2, 2], logger: createLogger({ level: 'error', write: () => undefined }) };
  sb = await startSandbox(options);
});
afterAll(async () => {
  await sb?.stop();
  await endpoint.stop();
  rmSync(dir, { recursive: true, force: true });
});

const restart = async () => {
  await sb.stop();
  sb = await startSandbox(options);
};

describe('a restart of the sandbox on its data dir', () => {
  it('leaves the sandbox PSP knowing its sessions and payments, as Paylink reads them back', async () => {
    const m = await merchantSession(sb.url);
    const created = await m.post<Resource>(PATH, createLinkBody());
    const paid = await postForm(await openHostedPage(created.body.links.customer_url.href), card(CARDS.authorized));
    expect(paid.status).toBe(303);
    await sb.settle();
    const link = (await m.get<Resource>(`${PATH}/${created.body.id}`)).body;
    expect(link.status).toBe('PAID');
    const [payment] = link.payments;
    const [session] = link.client_sessions;

    await restart();
    const provider = sb.deps.providers.get('sandbox')!;
    expect(await provider.getPayment(payment!.id)).toMatchObject({
      id: payment!.id,
      payment_link_id: link.id,
      client_session_id: session!.id,
      authorization_status: 'AUTHORIZED',
      captured: true,
    });
    expect(await provider.getClientSession(session!.id)).toMatchObject({ payment_link_id: link.id, payment: { id: payment!.id, authorization_status: 'AUTHORIZED' } });
  });

  it('still sends a webhook retry that was scheduled before the stop', async () => {
    const m = await merchantSession(sb.url);
    const created = await m.post<Resource>(PATH, createLinkBody({ webhook: { url: endpoint.url } }));
    endpoint.script.push({ status: 500 });
    expect((await m.post(`${PATH}/${created.body.id}/cancel`)).status).toBe(200);
    await waitFor(async () => endpoint.received.length === 1);
    await sb.settle(); // the failed attempt is recorded and its retry queued, 2 s ahead
    const log = async () => (await m.get<Deliveries>(`${PATH}/${created.body.id}/webhook-deliveries`)).body.items;
    expect((await log()).map((d) => [d.state, d.attempts.map((a) => a.status_code)])).toEqual([['pending', [500]]]);

    await restart();
    const again = await merchantSession(sb.url);
    const deliveries = async () => (await again.get<Deliveries>(`${PATH}/${created.body.id}/webhook-deliveries`)).body.items;
    await waitFor(async () => (await deliveries())[0]?.state === 'delivered', 15_000);
    expect((await deliveries()).map((d) => d.attempts.map((a) => a.status_code))).toEqual([[500, 200]]);
    expect(endpoint.received.map((r) => r.headers['webhook-id'])).toEqual([(await deliveries())[0]!.event_id, (await deliveries())[0]!.event_id]);
  });
});
