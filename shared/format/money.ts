/**
 * Money as people read it. Amounts travel as integer minor units (cents, yen, fils) up to
 * Number.MAX_SAFE_INTEGER; dividing one by 10^exponent as a float rounds the last digit away
 * (9007199254740991 cents would read …409.90), so the decimal is built from the integer's digits
 * and handed to Intl as a string, which Intl.NumberFormat formats exactly.
 */
import { findCurrency } from '../domain/currencies.js';

/** The ISO 4217 exponent when the currency is unknown to our table. */
const DEFAULT_EXPONENT = 2;

/** Minor units as an exact decimal string: (12345, 2) → "123.45", (5, 3) → "0.005", (120, 0) → "120". */
export function minorUnitsToDecimal(minor: number, exponent: number): `${number}` {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`minor units must be a safe integer, got ${minor}`);
  if (!Number.isInteger(exponent) || exponent < 0) throw new RangeError(`exponent must be a non-negative integer, got ${exponent}`);
  const sign = minor < 0 ? '-' : '';
  const digits = Math.abs(minor).toString().padStart(exponent + 1, '0');
  const fraction = exponent > 0 ? `.${digits.slice(-exponent)}` : '';
  return `${sign}${digits.slice(0, digits.length - exponent)}${fraction}` as `${number}`;
}

/**
 * Minor units in the currency's own number of decimals (ISO 4217: 2 for EUR, 0 for JPY, 3 for KWD),
 * localised for a BCP 47 tag: "€1,234.50" in en, "1 234,50 €" in fr. A currency or tag Intl
 * refuses falls back to "1234.50 XYZ".
 */
export function formatAmount(minor: number, currency: string, locale: string): string {
  const exponent = findCurrency(currency)?.exponent ?? DEFAULT_EXPONENT;
  const decimal = minorUnitsToDecimal(minor, exponent);
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(decimal);
  } catch {
    return `${decimal} ${currency}`;
  }
}
