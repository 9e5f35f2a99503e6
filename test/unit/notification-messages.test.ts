import { describe, expect, it } from 'vitest';
import { gsm7Length, messageRenderer, toGsm7 } from '../../shared/domain/notifications/messages.js';
import type { NotificationKind } from '../../shared/domain/notifications/notifications.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import { storedLink } from '../support/fixtures.js';

const LINK_ID = '5f0c6a5e-2a7b-4d8e-9c1f-0a1b2c3d4e5f';
const customerUrl = `https://pay.example.com/payment-links/${LINK_ID}`;
const KINDS: NotificationKind[] = ['INITIAL', 'REMINDER', 'RESEND'];

const link = (overrides: Partial<PaymentLink> = {}): PaymentLink => storedLink({ id: LINK_ID, ...overrides });

const ctx = (kind: NotificationKind = 'INITIAL', merchantName = 'Demo Shop') => ({ merchantName, customerUrl, kind });
const withLocale = (locale: string | undefined, more: Partial<PaymentLink> = {}) =>
  link({ customer: { email: 'jane@example.com', first_name: 'Jane', ...(locale ? { locale } : {}) }, ...more });
/** Intl separates with (narrow) no-break spaces; compare with plain ones. */
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('email', () => {
  it('is in English: subject, greeting, amount, merchant, expiry in UTC, reference and the link', () => {
    const mail = messageRenderer.email(link(), ctx());
    expect(mail.subject).toBe('Demo Shop has sent you a payment link');
    expect(mail.text).toContain('Hello Jane,');
    expect(mail.text).toContain('Demo Shop has sent you a secure link to pay €120.00.');
    expect(plain(mail.text)).toContain('This link expires on March 5, 2025 at 2:30 PM UTC.');
    expect(mail.text).toContain('Order reference: order_123456');
    expect(mail.text).toContain(customerUrl);
    expect(mail.html).toContain('<html lang="en-US">');
    expect(mail.html).toContain(`<a href="${customerUrl}"`);
    expect(mail.html).toContain('>Pay €120.00</a>');
  });

  it('is in French for fr and fr-* locales, with French number and date formats', () => {
    for (const locale of ['fr', 'fr-FR', 'FR-be']) {
      const mail = messageRenderer.email(withLocale(locale), ctx());
      expect(mail.subject).toBe('Demo Shop vous a envoyé un lien de paiement');
      expect(mail.text).toContain('Bonjour Jane,');
      expect(plain(mail.text)).toContain('pour payer 120,00 €.');
      expect(plain(mail.text)).toContain('Ce lien expire le 5 mars 2025 à 14:30 UTC.');
      expect(plain(mail.text)).toContain('Référence de commande : order_123456');
      expect(mail.html).toMatch(/<html lang="fr(-[A-Z]{2})?">/);
    }
  });

  it('falls back to English for other or missing locales', () => {
    for (const locale of ['de-DE', 'ja', undefined]) {
      const mail = messageRenderer.email(withLocale(locale), ctx());
      expect(mail.subject).toBe('Demo Shop has sent you a payment link');
      expect(mail.html).toContain('<html lang="en">');
      expect(mail.text).toContain('€120.00');
    }
  });

  it('says so in the subject and body when it is a reminder or a resend', () => {
    const [initial, reminder, resend] = KINDS.map((kind) => messageRenderer.email(link(), ctx(kind)));
    expect(reminder!.subject).toBe('Reminder: your payment link from Demo Shop expires soon');
    expect(reminder!.text).toContain('expires soon');
    expect(resend!.subject).toBe('Demo Shop has sent your payment link again');
    expect(resend!.text).toContain('Here again is your secure link');
    expect(new Set([initial!.subject, reminder!.subject, resend!.subject]).size).toBe(3);
    expect(initial!.text).not.toContain('expires soon');

    const fr = messageRenderer.email(withLocale('fr-FR'), ctx('REMINDER'));
    expect(plain(fr.subject)).toBe('Rappel : le lien de paiement envoyé par Demo Shop expire bientôt');
    expect(fr.text).toContain('expire bientôt');
  });

  it('uses each currency’s own minor unit: JPY has none, BHD has three', () => {
    const yen = messageRenderer.email(link({ amount: 12000, currency: 'JPY' }), ctx());
    expect(yen.text).toMatch(/¥12,000(?![.\d])/);
    const dinar = messageRenderer.email(link({ amount: 1234567, currency: 'BHD' }), ctx());
    expect(plain(dinar.text)).toContain('BHD 1,234.567');
    const dinarFr = messageRenderer.email(withLocale('fr-FR', { amount: 1234567, currency: 'BHD' }), ctx());
    expect(plain(dinarFr.text)).toContain('1 234,567 BHD');
    const yenFr = messageRenderer.email(withLocale('fr-FR', { amount: 12000, currency: 'JPY' }), ctx());
    expect(plain(yenFr.text)).toMatch(/12 000 (JPY|¥)/);
  });

  it('escapes the merchant name, the customer name and the reference in the HTML part', () => {
    const hostile = 'Evil <script>alert("x")</script> & Co';
    const mail = messageRenderer.email(
      link({ customer: { first_name: '<img src=x onerror=alert(1)>', locale: 'en' }, order: { reference: '"><b>ref</b>' } }),
      ctx('INITIAL', hostile),
    );
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('<b>ref');
    expect(mail.html).toContain('Evil &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; Co');
    expect(mail.html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    // The text part is plain text: shown as written.
    expect(mail.text).toContain(hostile);
  });

  it('keeps the subject on one line whatever the merchant name holds', () => {
    const mail = messageRenderer.email(link(), ctx('INITIAL', 'Demo\r\nBcc: victim@example.com'));
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toBe('Demo Bcc: victim@example.com has sent you a payment link');
  });
});

describe('SMS', () => {
  it('fits one 160-character GSM-7 segment in English and French for typical inputs, every kind', () => {
    for (const locale of ['en-US', 'en-GB', 'fr-FR', 'de']) {
      for (const kind of KINDS) {
        const text = messageRenderer.sms(withLocale(locale), ctx(kind));
        const length = gsm7Length(text);
        expect(length, `${locale} ${kind}: ${text}`).toBeDefined();
        expect(length!, `${locale} ${kind}: ${text}`).toBeLessThanOrEqual(160);
        expect(text).toContain(customerUrl);
        expect(text).toContain('Demo Shop');
      }
    }
  });

  it('is localised, shows the amount and the expiry in UTC, and a reminder says the link expires soon', () => {
    const en = messageRenderer.sms(link(), ctx('REMINDER'));
    expect(en).toBe(`Reminder: your Demo Shop link to pay €120.00 expires soon (Mar 5, 2:30 PM UTC): ${customerUrl}`);
    const fr = messageRenderer.sms(withLocale('fr-FR'), ctx('REMINDER'));
    expect(fr).toBe(`Rappel : votre lien Demo Shop (120,00 €) expire sous peu, le 5 mars, 14:30 UTC : ${customerUrl}`);
    expect(messageRenderer.sms(link(), ctx('INITIAL'))).not.toContain('Reminder');
    expect(messageRenderer.sms(link(), ctx('RESEND'))).toContain('sent again');
    expect(messageRenderer.sms(link({ amount: 500, currency: 'JPY' }), ctx())).toContain('¥500,');
  });

  it('never includes the customer’s name', () => {
    for (const kind of KINDS) {
      for (const locale of ['en', 'fr']) {
        const text = messageRenderer.sms(link({ customer: { first_name: 'Jacqueline', last_name: 'Dupont', locale } }), ctx(kind));
        expect(text).not.toContain('Jacqueline');
        expect(text).not.toContain('Dupont');
      }
    }
  });

  it('shortens a long merchant name just enough to fit one segment', () => {
    const name = 'The Extremely Long Merchant Display Name Company Limited';
    for (const kind of KINDS) {
      const text = messageRenderer.sms(link(), ctx(kind, name));
      expect(gsm7Length(text), text).toBeLessThanOrEqual(160);
      expect(gsm7Length(text), text).toBeGreaterThan(155);
      expect(text).toMatch(/The Extr[A-Za-z ]*\.\.\. /);
    }
    // A name that fits is left alone.
    expect(messageRenderer.sms(link(), ctx('INITIAL', 'The Extremely Long Merchant'))).toContain('The Extremely Long Merchant payment link');
  });

  it('maps characters outside the GSM alphabet to their nearest equivalent', () => {
    expect(toGsm7('2:30\u202fPM, 120,00\u00a0€, l’été, août, Café')).toBe("2:30 PM, 120,00 €, l'été, aout, Café");
    expect(gsm7Length('abc €')).toBe(6);
    expect(gsm7Length('日本')).toBeUndefined();
  });
});
