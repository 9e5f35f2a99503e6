/**
 * Standard Webhooks verification in Paylink's sandbox adapter. Signatures are computed here with
 * node:crypto directly, not with the PSP's signer, so a shared mistake cannot hide.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProviderWebhookError } from '../../shared/providers/payment-provider.js';
import { SandboxProvider } from '../../shared/providers/sandbox-provider.js';
import { signedHeaders } from '../../sandbox/psp/webhooks.js';

const KEY = Buffer.from('a sandbox webhook key of 32 bytes');
const SECRET = `whsec_${KEY.toString('base64')}`;
const OTHER_KEY = Buffer.from('another key, from another secret');
const NOW = new Date('2026-01-15T10:00:00.000Z');
const NOW_S = NOW.getTime() / 1000;

const provider = new SandboxProvider({ baseUrl: 'http://psp.invalid/sandbox-psp', apiKey: 'k', webhookSecret: SECRET });

const body = JSON.stringify({
  id: 'evt_1',
  type: 'payment.updated',
  created_at: '2026-01-15T10:00:00.000Z',
  data: {
    payment: {
      id: 'pay_1',
      client_session_id: 'cs_1',
      payment_link_id: 'pl_1',
      authorization_status: 'AUTHORIZED',
      amount: 12000,
      currency: 'EUR',
      captured: true,
      created_at: '2026-01-15T09:59:58.000Z',
    },
  },
});

function mac(key: Buffer, id: string, timestamp: number | string, payload: string): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${payload}`).digest('base64');
}

function headers(options: { key?: Buffer; id?: string; timestamp?: number; payload?: string } = {}): Record<string, string> {
  const id = options.id ?? 'evt_1';
  const timestamp = options.timestamp ?? NOW_S;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${mac(options.key ?? KEY, id, timestamp, options.payload ?? body)}`,
  };
}

describe('SandboxProvider.verifyWebhook', () => {
  it('accepts a correctly signed body', () => {
    expect(provider.verifyWebhook(body, headers(), NOW)).toEqual({ ok: true });
  });

  it('refuses a tampered body, id or timestamp', () => {
    const h = headers();
    const tampered = body.replace('"AUTHORIZED"', '"REFUSED"');
    expect(tampered).not.toBe(body);
    expect(provider.verifyWebhook(tampered, h, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(provider.verifyWebhook(body, { ...h, 'webhook-id': 'evt_2' }, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(provider.verifyWebhook(body, { ...h, 'webhook-timestamp': String(NOW_S - 1) }, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses a body signed with another secret', () => {
    expect(provider.verifyWebhook(body, headers({ key: OTHER_KEY }), NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
    const other = new SandboxProvider({ baseUrl: 'http://psp.invalid', apiKey: 'k', webhookSecret: `whsec_${OTHER_KEY.toString('base64')}` });
    expect(other.verifyWebhook(body, headers(), NOW).ok).toBe(false);
  });

  it('accepts timestamps up to 5 minutes old and refuses one second more', () => {
    expect(provider.verifyWebhook(body, headers({ timestamp: NOW_S - 300 }), NOW)).toEqual({ ok: true });
    expect(provider.verifyWebhook(body, headers({ timestamp: NOW_S - 301 }), NOW)).toEqual({ ok: false, reason: 'webhook-timestamp too old' });
  });

  it('accepts timestamps up to 5 minutes ahead and refuses one second more', () => {
    expect(provider.verifyWebhook(body, headers({ timestamp: NOW_S + 300 }), NOW)).toEqual({ ok: true });
    expect(provider.verifyWebhook(body, headers({ timestamp: NOW_S + 301 }), NOW)).toEqual({ ok: false, reason: 'webhook-timestamp in the future' });
  });

  it('compares in whole seconds: sub-second parts of now do not shift the window', () => {
    const late = new Date(NOW.getTime() + 999);
    expect(provider.verifyWebhook(body, headers({ timestamp: NOW_S - 300 }), late)).toEqual({ ok: true });
    expect(provider.verifyWebhook(body, headers({ timestamp: NOW_S + 300 }), late)).toEqual({ ok: true });
  });

  it('refuses a timestamp that is not unix seconds', () => {
    const h = headers();
    expect(provider.verifyWebhook(body, { ...h, 'webhook-timestamp': 'yesterday' }, NOW).ok).toBe(false);
    expect(provider.verifyWebhook(body, { ...h, 'webhook-timestamp': String(NOW.getTime()) }, NOW).ok).toBe(false);
    expect(provider.verifyWebhook(body, { ...h, 'webhook-timestamp': `${NOW_S}.5` }, NOW).ok).toBe(false);
  });

  it('accepts a header with several signatures (secret rotation) when any one matches, in any position', () => {
    const good = headers()['webhook-signature'];
    const stale = headers({ key: OTHER_KEY })['webhook-signature'];
    for (const signature of [`${stale} ${good}`, `${good} ${stale}`, `v2,abcd ${good}`]) {
      expect(provider.verifyWebhook(body, { ...headers(), 'webhook-signature': signature }, NOW)).toEqual({ ok: true });
    }
    expect(provider.verifyWebhook(body, { ...headers(), 'webhook-signature': `${stale} ${stale}` }, NOW)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses signatures that are not v1 or not base64, and truncated ones', () => {
    const sig = mac(KEY, 'evt_1', NOW_S, body);
    const verify = (signature: string) => provider.verifyWebhook(body, { ...headers(), 'webhook-signature': signature }, NOW);
    expect(verify(`v2,${sig}`)).toEqual({ ok: false, reason: 'no v1 signature in webhook-signature' });
    expect(verify(sig)).toEqual({ ok: false, reason: 'no v1 signature in webhook-signature' });
    expect(verify('v1,@@not*base64@@')).toEqual({ ok: false, reason: 'webhook-signature is not base64' });
    expect(verify(`v1,${sig.slice(0, 20)}`)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify('v1,')).toEqual({ ok: false, reason: 'webhook-signature is not base64' });
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('refuses a request without %s (absent or empty)', (name) => {
    const absent = headers();
    delete absent[name];
    expect(provider.verifyWebhook(body, absent, NOW)).toEqual({ ok: false, reason: `missing ${name} header` });
    expect(provider.verifyWebhook(body, { ...headers(), [name]: '' }, NOW)).toEqual({ ok: false, reason: `missing ${name} header` });
  });

  it('verifies what the sandbox PSP signs', () => {
    const h = signedHeaders(KEY, 'evt_1', NOW, body);
    expect(provider.verifyWebhook(body, h, NOW)).toEqual({ ok: true });
    expect(h['webhook-signature']).toBe(`v1,${mac(KEY, 'evt_1', NOW_S, body)}`);
  });

  it('will not start with a secret that is not whsec_ + base64', () => {
    expect(() => new SandboxProvider({ baseUrl: 'http://x', apiKey: 'k', webhookSecret: KEY.toString('base64') })).toThrow(/whsec_/);
    expect(() => new SandboxProvider({ baseUrl: 'http://x', apiKey: 'k', webhookSecret: 'whsec_not base64!' })).toThrow(/whsec_/);
  });
});

describe('SandboxProvider.parseWebhook', () => {
  it('turns a payment.updated body into a ProviderEvent', () => {
    expect(provider.parseWebhook(body)).toEqual({
      provider: 'sandbox',
      event_id: 'evt_1',
      occurred_at: '2026-01-15T10:00:00.000Z',
      payment: {
        id: 'pay_1',
        client_session_id: 'cs_1',
        payment_link_id: 'pl_1',
        authorization_status: 'AUTHORIZED',
        amount: 12000,
        currency: 'EUR',
        captured: true,
        created_at: '2026-01-15T09:59:58.000Z',
      },
    });
  });

  it.each([
    ['not JSON', '{"id":'],
    ['another event type', body.replace('payment.updated', 'refund.created')],
    ['an unknown authorization status', body.replace('"AUTHORIZED"', '"MAYBE"')],
    ['no payment', JSON.stringify({ id: 'evt_1', type: 'payment.updated', created_at: '2026-01-15T10:00:00.000Z', data: {} })],
    ['a fractional amount', body.replace('12000', '120.5')],
    ['a bad date', body.replace('"2026-01-15T10:00:00.000Z"', '"yesterday"')],
  ])('throws ProviderWebhookError for %s', (_label, raw) => {
    expect(() => provider.parseWebhook(raw)).toThrow(ProviderWebhookError);
  });
});
