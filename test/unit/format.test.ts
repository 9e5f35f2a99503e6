/** The formatting helpers every page, email and SMS uses: money, HTML escaping, locale choice. */
import { describe, expect, it } from 'vitest';
import { messageRenderer } from '../../shared/domain/notifications/messages.js';
import { escapeHtml } from '../../shared/format/html.js';
import { resolveLocale } from '../../shared/format/locale.js';
import { formatAmount, minorUnitsToDecimal } from '../../shared/format/money.js';
import { pageLocale } from '../../shared/http/pages.js';
import { paymentFormPage } from '../../sandbox/psp/pages.js';
import { storedLink } from '../support/fixtures.js';

/** Intl separates with (narrow) no-break spaces; compare with plain ones. */
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');
const MAX = Number.MAX_SAFE_INTEGER; // 9007199254740991

describe('minorUnitsToDecimal', () => {
  it('places the decimal point by the exponent, from the integer’s digits', () => {
    expect(minorUnitsToDecimal(12345, 2)).toBe('123.45');
    expect(minorUnitsToDecimal(5, 3)).toBe('0.005');
    expect(minorUnitsToDecimal(0, 2)).toBe('0.00');
    expect(minorUnitsToDecimal(120, 0)).toBe('120');
    expect(minorUnitsToDecimal(-1, 2)).toBe('-0.01');
    expect(minorUnitsToDecimal(MAX, 2)).toBe('90071992547409.91');
    expect(minorUnitsToDecimal(MAX, 3)).toBe('9007199254740.991');
    expect(minorUnitsToDecimal(MAX, 0)).toBe('9007199254740991');
  });

  it('refuses what is not a safe integer instead of rounding it', () => {
    expect(() => minorUnitsToDecimal(1.5, 2)).toThrow(RangeError);
    expect(() => minorUnitsToDecimal(MAX + 1, 2)).toThrow(RangeError);
    expect(() => minorUnitsToDecimal(Number.NaN, 2)).toThrow(RangeError);
    expect(() => minorUnitsToDecimal(1, -1)).toThrow(RangeError);
  });
});

describe('formatAmount', () => {
  it('formats amounts exactly, with no floating-point rounding', () => {
    expect(formatAmount(1, 'EUR', 'en')).toBe('€0.01');
    expect(formatAmount(0, 'BHD', 'en').replace(/\u00a0/g, ' ')).toBe('BHD 0.000');
    expect(formatAmount(900719925474099, 'EUR', 'en')).toBe('€9,007,199,254,740.99');
    // 90071992547409.91 has no exact double: dividing by 100 reads …409.9 (shown as …409.90).
    expect(formatAmount(MAX, 'EUR', 'en')).toBe('€90,071,992,547,409.91');
  });

  it('uses each currency’s exponent: EUR 2, JPY 0, KWD 3', () => {
    expect(formatAmount(MAX, 'JPY', 'en')).toBe('¥9,007,199,254,740,991');
    expect(formatAmount(12000, 'JPY', 'en')).toBe('¥12,000');
    expect(plain(formatAmount(MAX, 'KWD', 'en'))).toBe('KWD 9,007,199,254,740.991');
    expect(plain(formatAmount(1, 'KWD', 'en'))).toBe('KWD 0.001');
    expect(formatAmount(0, 'JPY', 'en')).toBe('¥0');
  });

  it('is localised for the tag it is given: en, fr, de', () => {
    const cases: Array<[string, string, number, string]> = [
      ['en', 'EUR', MAX, '€90,071,992,547,409.91'],
      ['fr', 'EUR', MAX, '90 071 992 547 409,91 €'],
      ['de', 'EUR', MAX, '90.071.992.547.409,91 €'],
      ['en', 'EUR', 0, '€0.00'],
      ['fr', 'EUR', 1, '0,01 €'],
      ['de', 'EUR', 1, '0,01 €'],
      ['fr', 'JPY', MAX, '9 007 199 254 740 991 JPY'],
      ['de', 'JPY', MAX, '9.007.199.254.740.991 ¥'],
      ['fr', 'KWD', MAX, '9 007 199 254 740,991 KWD'],
      ['de', 'KWD', 1, '0,001 KWD'],
    ];
    for (const [locale, currency, minor, text] of cases) expect(plain(formatAmount(minor, currency, locale)), `${minor} ${currency} ${locale}`).toBe(text);
  });

  it('falls back to the decimal and the code when Intl refuses the currency', () => {
    expect(formatAmount(MAX, 'E1R', 'en')).toBe('90071992547409.91 E1R');
  });
});

describe('one amount, the same text on every surface', () => {
  const link = (locale: string, currency = 'EUR') =>
    storedLink({ amount: MAX, currency, customer: { email: 'jane@example.com', locale } });
  const emailText = (locale: string, currency?: string) =>
    messageRenderer.email(link(locale, currency), { merchantName: 'Demo Shop', customerUrl: 'https://pay.example.com/x', kind: 'INITIAL' }).text;
  const pspPage = (locale: string, currency = 'EUR') =>
    paymentFormPage({ sessionId: 's', locale, merchant: 'Demo Shop', amount: MAX, currency, orderReference: 'r' });

  it('9007199254740991 minor units read the same in the email and on the sandbox PSP’s page', () => {
    const cases: Array<[string, string, string]> = [
      ['en', 'EUR', '€90,071,992,547,409.91'],
      ['fr-FR', 'EUR', '90\u202f071\u202f992\u202f547\u202f409,91\u00a0€'],
      ['de', 'EUR', '€90,071,992,547,409.91'], // no German copy: English throughout
      ['en', 'JPY', '¥9,007,199,254,740,991'],
      ['fr', 'KWD', '9\u202f007\u202f199\u202f254\u202f740,991\u00a0KWD'],
    ];
    for (const [locale, currency, text] of cases) {
      expect(emailText(locale, currency), `email ${locale} ${currency}`).toContain(text);
      expect(pspPage(locale, currency), `PSP ${locale} ${currency}`).toContain(`<dd>${text}</dd>`);
    }
    // The customer page's side is checked over HTTP in test/integration/amount-formatting.test.ts.
  });
});

describe('escapeHtml', () => {
  it('escapes the five significant characters as numeric references and nothing else', () => {
    expect(escapeHtml(`<a href="x" title='y'>Café & Co</a>`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;Café &#38; Co&#60;/a&#62;');
    expect(escapeHtml('90 071,91 € – ok')).toBe('90 071,91 € – ok');
  });
});

describe('resolveLocale', () => {
  it('keeps the customer’s own tag for a language we have copy in', () => {
    expect(resolveLocale('fr-FR')).toEqual({ language: 'fr', locale: 'fr-FR' });
    expect(resolveLocale('FR-be')).toEqual({ language: 'fr', locale: 'fr-BE' });
    expect(resolveLocale('en-US')).toEqual({ language: 'en', locale: 'en-US' });
  });

  it('is English for other, missing or malformed tags', () => {
    expect(resolveLocale('de-DE')).toEqual({ language: 'en', locale: 'en' });
    expect(resolveLocale(undefined)).toEqual({ language: 'en', locale: 'en' });
    expect(resolveLocale('not a locale!')).toEqual({ language: 'en', locale: 'en' });
  });

  it('falls back to Accept-Language, in the order sent, when customer.locale names no language we have', () => {
    expect(resolveLocale(undefined, 'de-CH, fr-CH;q=0.9, en;q=0.8')).toEqual({ language: 'fr', locale: 'fr-CH' });
    expect(resolveLocale('de', 'en-GB,fr;q=0.5')).toEqual({ language: 'en', locale: 'en-GB' });
    expect(resolveLocale('en-US', 'fr')).toEqual({ language: 'en', locale: 'en-US' });
    expect(resolveLocale(undefined, '*')).toEqual({ language: 'en', locale: 'en' });
    expect(resolveLocale(undefined, '')).toEqual({ language: 'en', locale: 'en' });
  });

  it('gives the customer page its language', () => {
    expect(pageLocale('fr-FR', 'en')).toBe('fr');
    expect(pageLocale(undefined, 'fr-CA,en;q=0.5')).toBe('fr');
    expect(pageLocale('ja', undefined)).toBe('en');
  });
});
