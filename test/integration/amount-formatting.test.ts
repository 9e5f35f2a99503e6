/**
 * One amount, one text: the customer page, the email and the sandbox PSP's hosted page show the
 * same exact amount for the same link, down to the last minor unit of Number.MAX_SAFE_INTEGER
 * (which a float division would round: 90071992547409.91 has no exact double).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapturedEmail } from '../../sandbox/ses.js';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { get, openHostedPage } from '../support/shopper.js';
import { waitFor } from '../support/wait.js';

const PATH = '/payment/v2/payment-links';
const ctx = useSandboxWithMerchants(beforeAll, afterAll);

/** Intl's separators, written out: U+202F groups French digits, U+00A0 precedes the symbol. */
const CASES = [
  { locale: 'en', currency: 'EUR', text: '€90,071,992,547,409.91' },
  { locale: 'fr-FR', currency: 'EUR', text: '90\u202f071\u202f992\u202f547\u202f409,91\u00a0€' },
  // No German copy: the pages and the email are in English, amounts too.
  { locale: 'de', currency: 'EUR', text: '€90,071,992,547,409.91' },
  { locale: 'en', currency: 'JPY', text: '¥9,007,199,254,740,991' },
  { locale: 'fr', currency: 'KWD', text: '9\u202f007\u202f199\u202f254\u202f740,991\u00a0KWD' },
] as const;

async function emailTo(address: string): Promise<CapturedEmail> {
  let found: CapturedEmail | undefined;
  await waitFor(async () => {
    found = (await ctx.sb.ses.fetchEmails()).find((e) => e.destination.to.includes(address));
    return found !== undefined;
  });
  return found!;
}

describe('the amount of Number.MAX_SAFE_INTEGER minor units', () => {
  for (const { locale, currency, text } of CASES) {
    it(`reads ${JSON.stringify(text)} in ${currency} for customer.locale ${locale}: customer page, email and PSP page`, async () => {
      const email = `amount.${locale}.${currency.toLowerCase()}.${Math.random().toString(36).slice(2, 8)}@example.com`;
      const created = await ctx.m1.post<PaymentLinkResource>(
        PATH,
        createLinkBody({ amount: Number.MAX_SAFE_INTEGER, currency, send_by_email: true, customer: { email, locale } }),
      );
      expect(created.status, created.text).toBe(201);
      const link = created.body;

      const mail = await emailTo(email);
      expect(mail.body.text).toContain(text);
      expect(mail.body.html).toContain(text);

      const hosted = await get(await openHostedPage(link.links.customer_url.href));
      expect(hosted.status).toBe(200);
      expect(hosted.html).toContain(`<dd>${text}</dd>`);

      expect((await ctx.m1.post(`${PATH}/${link.id}/cancel`)).status).toBe(200);
      const page = await get(link.links.customer_url.href);
      expect(page.status).toBe(410);
      expect(page.html).toContain(`<dd>${text}</dd>`);
    });
  }
});
