import { describe, expect, it } from 'vitest';
import { currencyCodesList, findCurrency } from '../../shared/domain/currencies.js';
import { checkUrl, isNonPublicAddress } from '../../shared/domain/url-policy.js';

describe('URL policy', () => {
  it.each([
    'http://example.com/x',
    'https://localhost/x',
    'https://127.0.0.1/x',
    'https://10.1.2.3/x',
    'https://172.16.0.1/x',
    'https://192.168.1.1/x',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/x',
    'https://[fe80::1]/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://2130706433/x',
    'https://0x7f.0.0.1/x',
    'https://intranet/x',
    'https://db.internal/x',
    'https://user:pass@example.com/x',
    // A trailing dot is the same host, fully qualified: it must not slip past the name checks.
    'https://localhost./x',
    'https://metadata.google.internal./computeMetadata/v1/',
    'https://db.internal../x',
    'https://printer.local./x',
    'https://intranet./x',
  ])('production rejects %s', (url) => {
    expect(checkUrl(url, 'production')).toBeTypeOf('string');
  });

  it.each(['https://example.com/x', 'https://shop.example.org:8443/back?o=1', 'https://93.184.216.34/x', 'https://example.com./x'])('production accepts %s', (url) => {
    expect(checkUrl(url, 'production')).toBeUndefined();
  });

  it('sandbox accepts http and loopback but still only http(s)', () => {
    expect(checkUrl('http://localhost:3000/x', 'sandbox')).toBeUndefined();
    expect(checkUrl('http://127.0.0.1:9000/hook', 'sandbox')).toBeUndefined();
    expect(checkUrl('javascript:alert(1)', 'sandbox')).toBeTypeOf('string');
    expect(checkUrl('not a url', 'sandbox')).toBe('must be an absolute URL');
  });

  it('classifies addresses', () => {
    expect(isNonPublicAddress('8.8.8.8')).toBe(false);
    expect(isNonPublicAddress('100.64.0.1')).toBe(true); // carrier-grade NAT
    expect(isNonPublicAddress('example.com')).toBe(false); // not an IP literal
  });
});

describe('currencies', () => {
  it('knows minor-unit exponents', () => {
    expect(findCurrency('EUR')?.exponent).toBe(2);
    expect(findCurrency('JPY')?.exponent).toBe(0);
    expect(findCurrency('BHD')?.exponent).toBe(3);
  });
  it('excludes codes that are not payable money and unknown codes', () => {
    for (const code of ['XAU', 'XXX', 'XTS', 'XDR', 'ABC', 'eur']) expect(findCurrency(code)).toBeUndefined();
    expect(currencyCodesList().length).toBeGreaterThan(150);
  });
});
