import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.js';
import { createPaymentLinkSchema, listPaymentLinksQuerySchema } from '../../shared/domain/link/schemas.js';
import { parseOrThrow, toPointer } from '../../shared/domain/validate.js';
import { PURSE_CREATE_EXAMPLE, createLinkBody } from '../support/fixtures.js';

function pointers(input: unknown, schema = createPaymentLinkSchema): string[] {
  try {
    parseOrThrow(schema, input);
  } catch (err) {
    if (err instanceof ValidationError) return err.errors.map((e) => e.pointer);
    throw err;
  }
  return [];
}

describe('create payment link schema', () => {
  it('accepts the Purse reference example', () => {
    expect(pointers(PURSE_CREATE_EXAMPLE)).toEqual([]);
  });

  it('names every missing required field', () => {
    expect(pointers({}).sort()).toEqual(['/amount', '/currency', '/entity_id', '/order', '/shopper_redirection_url']);
    expect(pointers(createLinkBody({ order: {} }))).toEqual(['/order/reference']);
  });

  it('names unknown fields, at the top and nested', () => {
    expect(pointers(createLinkBody({ amout: 1 }))).toEqual(['/amout']);
    expect(pointers(createLinkBody({ order: { reference: 'x', refrence: 'y' } }))).toEqual(['/order/refrence']);
    expect(pointers(createLinkBody({ customer: { account: { colour: 1 } } }))).toEqual(['/customer/account/colour']);
  });

  it('rejects amounts that are not non-negative integers in minor units', () => {
    expect(pointers(createLinkBody({ amount: -1 }))).toEqual(['/amount']);
    expect(pointers(createLinkBody({ amount: 12.5 }))).toEqual(['/amount']);
    expect(pointers(createLinkBody({ amount: '1200' }))).toEqual(['/amount']);
  });

  it('checks the shape of currency, URLs, dates, emails and phone numbers', () => {
    expect(pointers(createLinkBody({ currency: 'eur' }))).toEqual(['/currency']);
    expect(pointers(createLinkBody({ shopper_redirection_url: '/relative' }))).toEqual(['/shopper_redirection_url']);
    expect(pointers(createLinkBody({ shopper_redirection_url: 'ftp://example.org/x' }))).toEqual(['/shopper_redirection_url']);
    expect(pointers(createLinkBody({ expires_at: 'tomorrow' }))).toEqual(['/expires_at']);
    expect(pointers(createLinkBody({ customer: { email: 'not-an-email' } }))).toEqual(['/customer/email']);
    expect(pointers(createLinkBody({ customer: { mobile_phone_number: '0612345678' } }))).toEqual(['/customer/mobile_phone_number']);
    expect(pointers(createLinkBody({ capture_mode: 'LATER' }))).toEqual(['/capture_mode']);
    expect(pointers(createLinkBody({ send_by_email: 'yes' }))).toEqual(['/send_by_email']);
  });

  it('refuses webhook headers that could inject lines', () => {
    expect(pointers(createLinkBody({ webhook: { url: 'https://a.example', headers: [{ name: 'x-a', values: ['a\r\nb: c'] }] } }))).toEqual([
      '/webhook/headers/0/values/0',
    ]);
    expect(pointers(createLinkBody({ webhook: { url: 'https://a.example', headers: [{ name: 'bad name', values: ['v'] }] } }))).toEqual([
      '/webhook/headers/0/name',
    ]);
  });

  it('reports several bad fields at once', () => {
    expect(pointers(createLinkBody({ amount: -5, currency: 'E' })).sort()).toEqual(['/amount', '/currency']);
  });
});

describe('list query schema', () => {
  it('parses limit and status', () => {
    expect(parseOrThrow(listPaymentLinksQuerySchema, { limit: '5', status: 'PAID' })).toEqual({ limit: 5, status: 'PAID' });
  });
  it.each(['0', '101', 'abc', '-1', '1.5'])('rejects limit=%s', (limit) => {
    expect(pointers({ limit }, listPaymentLinksQuerySchema as never)).toEqual(['/limit']);
  });
  it('rejects unknown statuses and unknown parameters', () => {
    expect(pointers({ status: 'DONE' }, listPaymentLinksQuerySchema as never)).toEqual(['/status']);
    expect(pointers({ sort: 'asc' }, listPaymentLinksQuerySchema as never)).toEqual(['/sort']);
  });
});

describe('JSON pointers', () => {
  it('escapes ~ and / as RFC 6901 says', () => {
    expect(toPointer(['a/b', 'c~d', 0])).toBe('/a~1b/c~0d/0');
  });
});

describe('field errors name what was wrong', () => {
  const valid = { entity_id: 'e', amount: 4299, currency: 'EUR', shopper_redirection_url: 'https://shop.example/back', order: { reference: 'r' } };
  const errorsOf = (body: Record<string, unknown>) => {
    try {
      parseOrThrow(createPaymentLinkSchema, body);
    } catch (e) {
      return (e as ValidationError).errors;
    }
    return [];
  };

  it('a wrong JSON type says what was expected and what came, a missing field that it is required', () => {
    expect(errorsOf({ ...valid, amount: '4299' })).toEqual([{ pointer: '/amount', detail: 'must be an integer amount in minor units, not a string' }]);
    const { amount: _amount, ...withoutAmount } = valid;
    expect(errorsOf(withoutAmount)).toEqual([{ pointer: '/amount', detail: 'is required' }]);
    expect(errorsOf({ ...valid, customer: 'jane' })).toEqual([{ pointer: '/customer', detail: 'must be an object, not a string' }]);
    expect(errorsOf({ ...valid, order: { reference: 7 } })).toEqual([{ pointer: '/order/reference', detail: 'must be a string, not an integer' }]);
    expect(errorsOf({ ...valid, amount: null })).toEqual([{ pointer: '/amount', detail: 'must be an integer amount in minor units, not null' }]);
  });
});
