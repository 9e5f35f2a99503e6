/**
 * The "done when" of the shopper's journey, in a real browser (Debian's Chromium, driven by
 * playwright-core): a link created over the API, its customer URL opened, a test card typed into
 * the hosted page, the merchant's page reached with a token that verifies against the JWKS, and
 * the link PAID.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentLinkResource } from '../../shared/domain/link/schemas.js';
import { useSandboxWithMerchants } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';
import { CARDS, verifyRedirection } from '../support/shopper.js';

const ctx = useSandboxWithMerchants(beforeAll, afterAll, { pendingMs: 500 });
let browser: Browser;
let merchantSite: Server;
let merchantUrl: string;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
  // The merchant's "thank you" page the shopper lands on.
  merchantSite = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Thank you for your order</h1>'));
  await new Promise<void>((resolve) => merchantSite.listen(0, '127.0.0.1', resolve));
  merchantUrl = `http://127.0.0.1:${(merchantSite.address() as AddressInfo).port}/thanks?order=1001`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => merchantSite?.close(() => resolve()));
});

async function payInBrowser(link: PaymentLinkResource, cardNumber: string, locale?: string) {
  const page = await browser.newPage(locale ? { locale } : {});
  await page.goto(link.links.customer_url.href);
  await page.getByLabel(/card number|numéro de carte/i).fill(cardNumber);
  await page.locator('[name="expiry_month"]').fill('12');
  await page.locator('[name="expiry_year"]').fill(String(new Date().getUTCFullYear() + 3));
  await page.locator('[name="cvc"]').fill('123');
  await page.locator('[name="holder_name"]').fill('Jane Doe');
  await page.locator('form [type="submit"]').first().click();
  return page;
}

describe('a shopper in a browser', () => {
  it('pays a link with 4242… and lands on the merchant page with a verifiable token; the link is PAID', async () => {
    const created = await ctx.m1.post<PaymentLinkResource>('/payment/v2/payment-links', createLinkBody({ shopper_redirection_url: merchantUrl }));
    expect(created.status).toBe(201);
    const page = await payInBrowser(created.body, CARDS.authorized);
    await page.waitForURL((url) => url.toString().startsWith(merchantUrl.split('?')[0]!));
    expect(await page.locator('h1').textContent()).toBe('Thank you for your order');
    const landed = new URL(page.url());
    expect(landed.searchParams.get('order')).toBe('1001');
    const claims = await verifyRedirection(ctx.sb.url, landed, 'demo-entity');
    expect(claims).toMatchObject({ payment_link_id: created.body.id, authorization_status: 'AUTHORIZED' });
    await ctx.sb.settle();
    expect((await ctx.m1.get<PaymentLinkResource>(`/payment/v2/payment-links/${created.body.id}`)).body.status).toBe('PAID');
    await page.close();
  });

  it('sees the refusal in French and gets back to a fresh payment form with "Réessayer"', async () => {
    const created = await ctx.m1.post<PaymentLinkResource>(
      '/payment/v2/payment-links',
      createLinkBody({ shopper_redirection_url: merchantUrl, customer: { locale: 'fr-FR' } }),
    );
    const page = await payInBrowser(created.body, CARDS.refused, 'fr-FR');
    // The French words exactly: 'refus' alone would match the English 'refused' too.
    await expect.poll(() => page.locator('h1').textContent()).toBe('Paiement refusé');
    expect(await page.locator('[role="status"]').textContent()).toBe('L’émetteur de votre carte a refusé le paiement. Aucun montant n’a été débité.');
    expect(await page.getAttribute('html', 'lang')).toBe('fr');
    const back = page.locator(`a[href="${created.body.links.customer_url.href}"]`);
    expect(await back.textContent()).toBe('Réessayer');
    await back.click();
    await page.waitForSelector('[name="card_number"]');
    await page.screenshot({ path: `${process.env.PAYLINK_SCREENSHOT_DIR ?? '/tmp'}/paylink-hosted-page-fr.png` });
    await page.close();
  });
});
