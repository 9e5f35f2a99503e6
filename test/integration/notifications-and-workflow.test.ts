/**
 * Delivering links to customers in the sandbox: email into aws-ses-v2-local, SMS into the outbox,
 * reminders and expiry driven by the same state machine definition CDK deploys (run by
 * aws-local-stepfunctions with real waits), bounces suppressing addresses, resends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingEmail } from '../../shared/domain/ports.js';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { call, useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { MerchantEndpoint } from '../support/merchant-endpoint.js';
import { CARDS, card, openHostedPage, postForm } from '../support/shopper.js';
import { waitFor } from '../support/wait.js';

const PATH = '/payment/v2/payment-links';
const ctx = useSandboxWithMerchants(beforeAll, afterAll, { pendingMs: 300 });
let endpoint: MerchantEndpoint;
beforeAll(async () => {
  endpoint = await new MerchantEndpoint().start();
});
afterAll(async () => {
  await endpoint.stop();
});

const contact = (email = `jane.${Math.random().toString(36).slice(2, 8)}@example.com`) => ({
  customer: { email, locale: 'fr-FR', mobile_phone_number: `+336${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` },
});

async function newLink(overrides: Record<string, unknown>): Promise<PaymentLinkResource> {
  const r = await ctx.m1.post<PaymentLinkResource>(PATH, createLinkBody({ shopper_redirection_url: 'http://localhost:9999/back', ...overrides }));
  expect(r.status, r.text).toBe(201);
  return r.body;
}

async function emailsTo(address: string) {
  return (await ctx.sb.ses.fetchEmails()).filter((e) => e.destination.to.includes(address));
}

function smsTo(phone: string) {
  return ctx.sb.sms.messages().filter((m) => m.phone_number === phone);
}

function notificationEvents(linkId: string) {
  return ctx.sb.bus.events.filter((e) => e['detail-type'] === 'Payment Link Notification Sent' && e.detail.payment_link_id === linkId);
}

describe('sending the link', () => {
  it('emails (HTML and text, localised) and texts the customer once each, and publishes it without the address', async () => {
    const who = contact();
    const link = await newLink({ ...who, send_by_email: true, send_by_sms: true, amount: 4299 });
    await waitFor(async () => (await emailsTo(who.customer.email)).length === 1 && smsTo(who.customer.mobile_phone_number).length === 1);
    await ctx.sb.settle();
    const [email] = await emailsTo(who.customer.email);
    expect(email!.subject).toMatch(/Demo Shop/);
    expect(email!.body.html).toContain(link.links.customer_url.href);
    expect(email!.body.text).toContain(link.links.customer_url.href);
    expect(email!.body.html).toContain('42,99'); // fr-FR amount
    expect(email!.body.html).toMatch(/lang="fr/);
    const [sms] = smsTo(who.customer.mobile_phone_number);
    expect(sms!.message).toContain(link.links.customer_url.href);
    const events = notificationEvents(link.id);
    expect(events.map((e) => [e.detail.channel, e.detail.kind, e.detail.status]).sort()).toEqual([
      ['EMAIL', 'INITIAL', 'SENT'],
      ['SMS', 'INITIAL', 'SENT'],
    ]);
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(who.customer.email);
    expect(serialized).not.toContain(who.customer.mobile_phone_number);
    const sms2 = await call<{ messages: unknown[] }>(ctx.sb.url, 'GET', '/sandbox/sms');
    expect(sms2.body.messages).toContainEqual(expect.objectContaining({ phone_number: who.customer.mobile_phone_number }));
  });

  it('is refused at creation without the address the channel needs', async () => {
    const r = await ctx.m1.post(PATH, createLinkBody({ send_by_email: true }));
    expect(r.status).toBe(400);
    expect((r.body.errors as Array<{ pointer: string }>).map((e) => e.pointer)).toEqual(['/customer/email']);
    const s = await ctx.m1.post(PATH, createLinkBody({ send_by_sms: true, customer: { mobile_phone_number: '0612345678' } }));
    expect(s.status).toBe(400);
  });

  it('retries a failing SES call and sends once', async () => {
    const who = contact();
    const mailer = ctx.sb.mailer;
    const original = mailer.send.bind(mailer);
    let failures = 1;
    mailer.send = async (email: OutgoingEmail) => {
      if (email.to === who.customer.email && failures-- > 0) throw Object.assign(new Error('Throttling: Maximum sending rate exceeded'), { name: 'TooManyRequestsException' });
      return original(email);
    };
    try {
      const link = await newLink({ ...who, send_by_email: true });
      await waitFor(async () => (await emailsTo(who.customer.email)).length === 1, 15_000);
      await ctx.sb.settle();
      expect(failures).toBe(-1);
      expect(await emailsTo(who.customer.email)).toHaveLength(1);
      expect(ctx.logs.some((l) => l.message === 'notification failed')).toBe(true);
      expect(notificationEvents(link.id).map((e) => e.detail.status)).toEqual(['SENT']);
    } finally {
      mailer.send = original;
    }
  });
});

describe('bounces and complaints', () => {
  it('a bounce puts the address on the merchant’s suppression list; a later send is skipped and recorded', async () => {
    const bounce = 'bounce@simulator.amazonses.com';
    const link = await newLink({ customer: { email: bounce }, send_by_email: true });
    await waitFor(async () => ctx.sb.suppressions.isSuppressed('demo-entity', bounce), 15_000);
    expect(await ctx.sb.suppressions.isSuppressed('demo-entity-2', bounce)).toBe(false); // per merchant
    const before = (await emailsTo(bounce)).length;
    const resend = await ctx.m1.post(`${PATH}/${link.id}/notifications`, { channel: 'EMAIL' });
    expect(resend.status).toBe(202);
    await ctx.sb.settle();
    expect((await emailsTo(bounce)).length).toBe(before);
    expect(notificationEvents(link.id).map((e) => [e.detail.kind, e.detail.status])).toEqual([
      ['INITIAL', 'SENT'],
      ['RESEND', 'SUPPRESSED'],
    ]);
  });
});

describe('POST …/notifications (resend)', () => {
  it('honours Idempotency-Key: a retried resend is replayed, not sent (or counted) twice', async () => {
    const who = contact();
    const link = await newLink({ ...who, send_by_sms: true });
    const key = { 'idempotency-key': `resend-${link.id}` };
    const first = await ctx.m1.post<{ id: string }>(`${PATH}/${link.id}/notifications`, { channel: 'SMS' }, key);
    const retry = await ctx.m1.post<{ id: string }>(`${PATH}/${link.id}/notifications`, { channel: 'SMS' }, key);
    expect([first.status, retry.status]).toEqual([202, 202]);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect((await ctx.m1.post(`${PATH}/${link.id}/notifications`, { channel: 'EMAIL' }, key)).status).toBe(422);
    await ctx.sb.settle();
    expect(smsTo(who.customer.mobile_phone_number)).toHaveLength(2); // initial + one resend
  });

  it('sends again (202), at most 5 an hour (429 with Retry-After), never for a paid link (400)', async () => {
    const who = contact();
    const link = await newLink({ ...who, send_by_sms: true });
    for (let i = 0; i < 5; i++) expect((await ctx.m1.post(`${PATH}/${link.id}/notifications`, { channel: 'SMS' })).status).toBe(202);
    const limited = await ctx.m1.post(`${PATH}/${link.id}/notifications`, { channel: 'SMS' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    await ctx.sb.settle();
    expect(smsTo(who.customer.mobile_phone_number)).toHaveLength(6); // initial + 5 resends
    expect((await ctx.m1.post(`${PATH}/${link.id}/notifications`, { channel: 'FAX' })).status).toBe(400);
    expect((await ctx.m2.post(`${PATH}/${link.id}/notifications`, { channel: 'SMS' })).status).toBe(404);

    const paid = await newLink({ ...contact(), send_by_email: true });
    await postForm(await openHostedPage(paid.links.customer_url.href), card(CARDS.authorized));
    await ctx.sb.settle();
    const refused = await ctx.m1.post(`${PATH}/${paid.id}/notifications`, { channel: 'EMAIL' });
    expect(refused.status).toBe(400);
  });
});

describe('the workflow per link', () => {
  it('reminds on the link’s schedule and expires the link on time, with its webhook and event', async () => {
    const who = contact();
    const expiresAt = new Date(Date.now() + 8_000).toISOString();
    const link = await newLink({ ...who, send_by_email: true, send_by_sms: true, expires_at: expiresAt, reminder_schedule: ['PT5S'], webhook: { url: endpoint.url } });
    await waitFor(async () => (await emailsTo(who.customer.email)).length === 2, 15_000);
    const [, reminder] = (await emailsTo(who.customer.email)).sort((a, b) => a.at - b.at);
    expect(reminder!.subject).not.toBe((await emailsTo(who.customer.email))[0]!.subject);
    await waitFor(async () => (await ctx.m1.get<PaymentLinkResource>(`${PATH}/${link.id}`)).body.status === 'EXPIRED', 15_000);
    const expiredAt = Date.now();
    expect(expiredAt).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    await ctx.sb.settle();
    expect(smsTo(who.customer.mobile_phone_number)).toHaveLength(2);
    expect(notificationEvents(link.id).map((e) => `${e.detail.channel}:${e.detail.kind}`).sort()).toEqual(['EMAIL:INITIAL', 'EMAIL:REMINDER', 'SMS:INITIAL', 'SMS:REMINDER']);
    const statusEvents = ctx.sb.bus.events.filter((e) => e['detail-type'] === 'Payment Link Status Changed' && e.detail.payment_link_id === link.id);
    expect(statusEvents.map((e) => e.detail.status)).toEqual(['CREATED', 'EXPIRED']);
    await waitFor(async () => endpoint.received.some((r) => JSON.parse(r.body).data?.id === link.id && JSON.parse(r.body).data?.status === 'EXPIRED'));
    const execution = ctx.sb.workflow.execution(link.id);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(execution?.transitions).toBe(7); // one reminder + expiry: see docs/workflow.md
  });

  it('a paid link gets no reminder and no expiry', async () => {
    const who = contact();
    const expiresAt = Date.now() + 6_000;
    const link = await newLink({ ...who, send_by_email: true, expires_at: new Date(expiresAt).toISOString(), reminder_schedule: ['PT3S'] });
    // A marker link, left unpaid, whose reminder and expiry come a second after the paid link's:
    // once it has been reminded and has expired, the paid link's times are past too (no fixed sleep).
    const markerContact = contact();
    const marker = await newLink({ ...markerContact, send_by_email: true, expires_at: new Date(expiresAt + 1_000).toISOString(), reminder_schedule: ['PT3S'] });
    await postForm(await openHostedPage(link.links.customer_url.href), card(CARDS.authorized));
    await ctx.sb.settle();
    expect((await ctx.m1.get<PaymentLinkResource>(`${PATH}/${link.id}`)).body.status).toBe('PAID');
    await waitFor(async () => ctx.sb.workflow.execution(link.id)?.status === 'ABORTED');
    await waitFor(async () => (await ctx.sb.deps.links.get(marker.id))?.status === 'EXPIRED', 15_000);
    await ctx.sb.settle();
    expect(notificationEvents(marker.id).map((e) => e.detail.kind)).toEqual(['INITIAL', 'REMINDER']);
    expect(await emailsTo(markerContact.customer.email)).toHaveLength(2);
    // At most the initial email (it is skipped when the link is already paid by the time it is sent).
    expect((await emailsTo(who.customer.email)).length).toBeLessThanOrEqual(1);
    expect(notificationEvents(link.id).filter((e) => e.detail.kind === 'REMINDER')).toEqual([]);
    expect((await ctx.m1.get<PaymentLinkResource>(`${PATH}/${link.id}`)).body.status).toBe('PAID');
  });
});

describe('a sandbox restart on kept data', () => {
  it('resumes the open links’ workflows, so a link still expires on time', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { startSandbox } = await import('../../sandbox/sandbox.js');
    const { merchantSession } = await import('../support/api-client.js');
    const dir = mkdtempSync(join(tmpdir(), 'paylink-restart-'));
    try {
      let sb = await startSandbox({ port: 0, sesPort: 0, dataDir: dir });
      const m = await merchantSession(sb.url);
      const created = await m.post<PaymentLinkResource>(PATH, createLinkBody({ expires_at: new Date(Date.now() + 4_000).toISOString() }));
      expect(created.status).toBe(201);
      await sb.settle();
      await sb.stop();

      sb = await startSandbox({ port: 0, sesPort: 0, dataDir: dir });
      try {
        expect(sb.workflow.execution(created.body.id)?.status).toBe('RUNNING');
        await waitFor(async () => (await sb.deps.links.get(created.body.id))?.status === 'EXPIRED', 10_000);
      } finally {
        await sb.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
