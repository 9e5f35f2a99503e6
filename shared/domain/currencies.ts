import currencyCodes from 'currency-codes';

/**
 * ISO 4217 currencies a payment can be taken in, with their minor-unit exponent. The list comes
 * from the `currency-codes` package (the ISO 4217 maintenance agency's table, kept current by its
 * maintainers) instead of a hand-copied table. Codes that are not money a shopper can pay with are
 * excluded: precious metals, bond-market units, SDR, the testing and "no currency" codes, and
 * fund codes (BOV, CHE, …) that only exist for accounting.
 */
const NOT_PAYABLE = new Set([
  'XAU', 'XAG', 'XPD', 'XPT', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XSU', 'XUA', 'XTS', 'XXX',
  'BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW',
]);

export interface Currency {
  code: string;
  /** Number of digits after the decimal separator: 2 for EUR, 0 for JPY, 3 for BHD. */
  exponent: number;
}

const table: ReadonlyMap<string, Currency> = new Map(
  currencyCodes
    .codes()
    .filter((code) => !NOT_PAYABLE.has(code))
    .flatMap((code) => {
      const entry = currencyCodes.code(code);
      return entry && Number.isInteger(entry.digits) ? [[code, { code, exponent: entry.digits }] as const] : [];
    }),
);

export function findCurrency(code: string): Currency | undefined {
  return table.get(code);
}

export function currencyCodesList(): string[] {
  return [...table.keys()].sort();
}
