/** effectsOfLinkChange: what the dispatcher does for each kind of committed change, decided without I/O. */
import { describe, expect, it } from 'vitest';
import { effectsOfLinkChange } from '../../shared/domain/dispatch/link-change.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { Merchant } from '../../shared/domain/ports.js';
import { storedLink } from '../support/fixtures.js';

const urls = { apiBaseUrl: 'https://api.example', payBaseUrl: 'https://pay.example' };
const merchant: Merchant = {
  entity_id: 'demo-entity',
  display_name: 'Demo',
  default_expiry_minutes: 60,
  default_webhook_url: 'https://merchant.example/hooks',
  reminder_policy: { before_expiry: ['PT24H'] },
  active: true,
};
const created = storedLink();
const next = (from: PaymentLink, changes: Partial<PaymentLink>): PaymentLink => ({
  ...from,
  ...changes,
  version: from.version + 1,
  updated_at: '2025-03-02T10:00:00.000Z',
});

describe('effectsOfLinkChange', () => {
  it('a new link: its status event, one INITIAL request per channel, its workflow with the merchant reminders; no webhook', () => {
    const effects = effectsOfLinkChange(undefined, created, merchant, urls);
    expect(effects.events.map((e) => e['detail-type'])).toEqual(['Payment Link Status Changed']);
    expect(effects.notifications).toEqual([
      { id: `${created.id}:EMAIL:INITIAL`, payment_link_id: created.id, channel: 'EMAIL', kind: 'INITIAL' },
      { id: `${created.id}:SMS:INITIAL`, payment_link_id: created.id, channel: 'SMS', kind: 'INITIAL' },
    ]);
    expect(effects.startWorkflow).toEqual({
      payment_link_id: created.id,
      reminders: [{ at: '2025-03-04T14:30:00.000Z' }],
      expires_at: created.expires_at,
      grace_seconds: 900,
    });
    expect(effects.stopWorkflow).toBeUndefined();
    expect(effects.webhooks).toEqual([]);
  });

  it('a new link sent on no channel: no notification, a workflow without reminders', () => {
    const quiet = storedLink({ send_by_email: false, send_by_sms: false });
    const effects = effectsOfLinkChange(undefined, quiet, merchant, urls);
    expect(effects.notifications).toEqual([]);
    expect(effects.startWorkflow?.reminders).toEqual([]);
  });

  it('opened: a status event and a link webhook to the merchant default URL; the workflow goes on', () => {
    const opened = next(created, { status: 'OPENED' });
    const effects = effectsOfLinkChange(created, opened, merchant, urls);
    expect(effects.events).toHaveLength(1);
    expect(effects.notifications).toEqual([]);
    expect(effects.startWorkflow).toBeUndefined();
    expect(effects.stopWorkflow).toBeUndefined();
    expect(effects.webhooks.map((w) => [w.type, w.url])).toEqual([['payment_link.status_changed', 'https://merchant.example/hooks']]);
    expect(JSON.parse(effects.webhooks[0]!.body).data.links.customer_url.href).toBe(`https://pay.example/payment-links/${created.id}`);
  });

  it.each(['PAID', 'CANCELLED'] as const)('%s stops the workflow', (status) => {
    const effects = effectsOfLinkChange(created, next(created, { status }), merchant, urls);
    expect(effects.stopWorkflow).toBe(created.id);
  });

  it.each(['EXPIRED', 'PAYMENT_IN_PROGRESS'] as const)('%s does not stop the workflow (it is the workflow, or it waits for it)', (status) => {
    expect(effectsOfLinkChange(created, next(created, { status }), merchant, urls).stopWorkflow).toBeUndefined();
  });

  it('a payment that changes: a payment webhook as well; a write that changes no status and no payment: nothing', () => {
    const paying = next(created, { status: 'PAYMENT_IN_PROGRESS', payments: [{ id: 'p-1', authorization_status: 'PENDING' }] });
    expect(effectsOfLinkChange(created, paying, merchant, urls).webhooks.map((w) => w.type)).toEqual(['payment_link.status_changed', 'payment.status_changed']);
    const touched = next(paying, { resend_requests: ['2025-03-02T10:00:00.000Z'] });
    expect(effectsOfLinkChange(paying, touched, merchant, urls)).toEqual({ events: [], notifications: [], webhooks: [] });
  });

  it('no webhook without a URL (neither the link nor the merchant has one); a removal has no effect', () => {
    const opened = next(created, { status: 'OPENED' });
    expect(effectsOfLinkChange(created, opened, { ...merchant, default_webhook_url: undefined }, urls).webhooks).toEqual([]);
    expect(effectsOfLinkChange(created, undefined, merchant, urls)).toEqual({ events: [], notifications: [], webhooks: [] });
  });

  it('is deterministic: the same change twice gives the same ids', () => {
    const opened = next(created, { status: 'OPENED' });
    expect(effectsOfLinkChange(created, opened, merchant, urls)).toEqual(effectsOfLinkChange(created, opened, merchant, urls));
  });
});

describe('effectsOfLinkChange for a merchant the directory no longer has, and for writes after the end', () => {
  it('a new link of an unknown merchant still gets its sends and a workflow (expiry only, no merchant reminders)', () => {
    const effects = effectsOfLinkChange(undefined, created, undefined, urls);
    expect(effects.notifications.map((n) => n.channel)).toEqual(['EMAIL', 'SMS']);
    expect(effects.startWorkflow).toEqual({ payment_link_id: created.id, reminders: [], expires_at: '2025-03-05T14:30:00.000Z', grace_seconds: 900 });
  });

  it("a change of an unknown merchant's link goes to the link's own webhook URL, or nowhere", () => {
    const withHook = storedLink({ webhook: { url: 'https://shop.example/paylink-hook' } });
    const effects = effectsOfLinkChange(withHook, next(withHook, { status: 'OPENED' }), undefined, urls);
    expect(effects.webhooks.map((w) => [w.type, w.url])).toEqual([['payment_link.status_changed', 'https://shop.example/paylink-hook']]);
    expect(effectsOfLinkChange(created, next(created, { status: 'OPENED' }), undefined, urls).webhooks).toEqual([]);
  });

  it('a late payment recorded on a PAID link, or a write on a CANCELLED one, does not stop the workflow again', () => {
    const paid = next(created, { status: 'PAID', payments: [{ id: 'p-1', authorization_status: 'AUTHORIZED' }] });
    const late = next(paid, { payments: [...paid.payments, { id: 'p-2', authorization_status: 'AUTHORIZED', late_settlement: 'VOID_PENDING' }] });
    const effects = effectsOfLinkChange(paid, late, merchant, urls);
    expect(effects.webhooks.map((w) => w.type)).toEqual(['payment.status_changed']);
    expect(effects.stopWorkflow).toBeUndefined();
    const cancelled = next(created, { status: 'CANCELLED' });
    expect(effectsOfLinkChange(cancelled, next(cancelled, { resend_requests: [] }), merchant, urls).stopWorkflow).toBeUndefined();
  });
});
