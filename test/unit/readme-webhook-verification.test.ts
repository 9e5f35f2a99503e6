/**
 * The README's promise to merchants: its node:crypto snippet (between the verify-webhook markers),
 * run as written, accepts what Paylink sends and rejects what it must; and the standardwebhooks
 * library the README also recommends verifies our signatures too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryHeaders, webhooksForLinkChange, type WebhookDelivery } from '../../shared/domain/merchant-webhooks/delivery.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import { FixedClock, MemoryLinkStore, demoMerchant, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';

type VerifyWebhook = (secret: string, headers: Record<string, string | undefined>, rawBody: string | Buffer) => unknown;

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function readmeSnippet(): string {
  const block = readme.split('<!-- verify-webhook:start -->')[1]?.split('<!-- verify-webhook:end -->')[0];
  const code = block?.match(/```js\n([\s\S]*?)```/)?.[1];
  if (!code) throw new Error('README has no verify-webhook block');
  return code;
}

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.alloc(24, 42).toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

/** A real delivery: the link-status webhook of a link that was just opened (non-ASCII included). */
async function delivery(): Promise<WebhookDelivery> {
  const link = await createPaymentLink(
    createLinkBody({
      entity_id: demoMerchant.entity_id,
      customer: { first_name: 'Zoë', last_name: 'Müller-Łukasiewicz', locale: 'de-DE' },
      webhook: { url: 'https://merchant.example/hooks', headers: [{ name: 'x-order-id', values: ['order_123456'] }] },
    }),
    demoMerchant,
    { links: new MemoryLinkStore(), clock: new FixedClock(), ids: sequentialIds(), urlPolicy: 'production' },
  );
  const opened: PaymentLink = { ...link, status: 'OPENED', version: 2, updated_at: '2026-01-15T10:01:00.000Z' };
  const [d] = webhooksForLinkChange(link, opened, { url: link.webhook!.url, headers: link.webhook!.headers ?? [] }, {
    apiBaseUrl: 'https://api.example.com',
    payBaseUrl: 'https://pay.example.com',
  });
  if (!d) throw new Error('no delivery');
  return d;
}

const minutes = (n: number) => new Date(Date.now() + n * 60_000);

describe("README's node:crypto verifyWebhook", () => {
  let dir: string;
  let verifyWebhook: VerifyWebhook;
  let d: WebhookDelivery;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paylink-readme-'));
    const file = join(dir, 'verify-webhook.mjs');
    writeFileSync(file, readmeSnippet());
    ({ verifyWebhook } = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { verifyWebhook: VerifyWebhook });
    d = await delivery();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a delivery as Paylink signs it and returns the parsed body', () => {
    const headers = deliveryHeaders(d, [SECRET], new Date());
    expect(headers['x-order-id']).toBe('order_123456');
    const body = verifyWebhook(SECRET, headers, d.body);
    expect(body).toEqual(JSON.parse(d.body));
    expect(body).toMatchObject({ id: headers['webhook-id'], type: 'payment_link.status_changed', sequence: 2, data: { status: 'OPENED' } });
    // A body read as bytes (express.raw) works the same.
    expect(verifyWebhook(SECRET, headers, Buffer.from(d.body, 'utf8'))).toEqual(body);
  });

  it('accepts either secret while one is being rotated (space-separated signatures)', () => {
    const headers = deliveryHeaders(d, [SECRET, OLD_SECRET], new Date());
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifyWebhook(SECRET, headers, d.body)).toBeTruthy();
    expect(verifyWebhook(OLD_SECRET, headers, d.body)).toBeTruthy();
    expect(() => verifyWebhook(OTHER_SECRET, headers, d.body)).toThrow();
  });

  it('accepts a timestamp within 5 minutes either way (clock skew)', () => {
    expect(verifyWebhook(SECRET, deliveryHeaders(d, [SECRET], minutes(-4)), d.body)).toBeTruthy();
    expect(verifyWebhook(SECRET, deliveryHeaders(d, [SECRET], minutes(4)), d.body)).toBeTruthy();
  });

  it('rejects a tampered body', () => {
    const headers = deliveryHeaders(d, [SECRET], new Date());
    expect(() => verifyWebhook(SECRET, headers, d.body.replace('"OPENED"', '"PAID"'))).toThrow();
    expect(() => verifyWebhook(SECRET, headers, d.body.replace('"sequence":2', '"sequence":9'))).toThrow();
    expect(() => verifyWebhook(SECRET, headers, d.body + ' ')).toThrow();
  });

  it('rejects a wrong secret', () => {
    expect(() => verifyWebhook(OTHER_SECRET, deliveryHeaders(d, [SECRET], new Date()), d.body)).toThrow();
  });

  it('rejects a stale or future timestamp, even with a valid signature for it', () => {
    expect(() => verifyWebhook(SECRET, deliveryHeaders(d, [SECRET], minutes(-6)), d.body)).toThrow(/timestamp/);
    expect(() => verifyWebhook(SECRET, deliveryHeaders(d, [SECRET], minutes(6)), d.body)).toThrow(/timestamp/);
  });

  it('rejects a signature moved to another id or timestamp, and missing or malformed headers', () => {
    const headers = deliveryHeaders(d, [SECRET], new Date());
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-id': 'msg_other' }, d.body)).toThrow();
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }, d.body)).toThrow();
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-signature': undefined }, d.body)).toThrow();
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-timestamp': undefined }, d.body)).toThrow();
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-timestamp': 'soon' }, d.body)).toThrow();
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-id': undefined }, d.body)).toThrow();
    const sig = headers['webhook-signature']!.slice('v1,'.length);
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-signature': `v2,${sig}` }, d.body)).toThrow();
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-signature': 'v1,' }, d.body)).toThrow();
  });
});

describe('the standardwebhooks library', () => {
  it('verifies what Paylink sends, including during a secret rotation', async () => {
    const d = await delivery();
    const headers = deliveryHeaders(d, [SECRET, OLD_SECRET], new Date());
    expect(new Webhook(SECRET).verify(d.body, headers)).toEqual(JSON.parse(d.body));
    expect(new Webhook(OLD_SECRET).verify(d.body, headers)).toEqual(JSON.parse(d.body));
    expect(() => new Webhook(OTHER_SECRET).verify(d.body, headers)).toThrow();
    expect(() => new Webhook(SECRET).verify(d.body.replace('"OPENED"', '"PAID"'), headers)).toThrow();
    expect(() => new Webhook(SECRET).verify(d.body, deliveryHeaders(d, [SECRET], minutes(-6)))).toThrow();
  });

  it('signs exactly as Paylink does', async () => {
    const d = await delivery();
    const at = new Date('2026-01-15T10:01:00.000Z');
    expect(deliveryHeaders(d, [SECRET], at)['webhook-signature']).toBe(new Webhook(SECRET).sign(d.event_id, at, d.body));
  });
});
