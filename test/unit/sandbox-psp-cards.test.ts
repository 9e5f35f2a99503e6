/** The sandbox PSP's card form rules: Luhn, expiry (inclusive month, 2- or 4-digit years), CVC. */
import { describe, expect, it } from 'vitest';
import { behaviourFor, luhnValid, TEST_CARDS, validateCardForm } from '../../sandbox/psp/cards.js';

const NOW = new Date('2026-01-31T23:59:59.000Z');
const valid = { card_number: '4242 4242 4242 4242', expiry_month: '01', expiry_year: '2026', cvc: '123', holder_name: 'Jane Doe' };

describe('sandbox PSP card rules', () => {
  it('every test card passes the Luhn check, and one changed digit does not', () => {
    for (const card of Object.keys(TEST_CARDS)) expect(luhnValid(card)).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true); // the textbook example
    expect(luhnValid('79927398710')).toBe(false);
  });

  it('accepts a card in its expiry month, with spaces in the number and a 2- or 4-digit year', () => {
    expect(validateCardForm(valid, NOW)).toEqual({
      ok: true,
      card: { card_number: '4242424242424242', expiry_month: 1, expiry_year: 2026, cvc: '123', holder_name: 'Jane Doe' },
    });
    expect(validateCardForm({ ...valid, expiry_year: '26' }, NOW).ok).toBe(true);
  });

  it('refuses an expiry month that has passed, naming the field', () => {
    expect(validateCardForm({ ...valid, expiry_month: '12', expiry_year: '25' }, NOW)).toEqual({
      ok: false,
      errors: [{ field: 'expiry_year', code: 'expired' }],
    });
    const lastMonth = validateCardForm({ ...valid, expiry_month: '12', expiry_year: '2025' }, new Date('2026-01-01T00:00:00Z'));
    expect(lastMonth.ok).toBe(false);
    expect(validateCardForm({ ...valid, expiry_month: '1', expiry_year: '2026' }, new Date('2026-02-01T00:00:00Z'))).toEqual({
      ok: false,
      errors: [{ field: 'expiry_month', code: 'expired' }],
    });
  });

  it('names every bad or missing field', () => {
    const result = validateCardForm({ card_number: '4242424242424241', expiry_month: '13', expiry_year: '123', cvc: '12' }, NOW);
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: 'card_number', code: 'luhn' },
        { field: 'expiry_month', code: 'invalid' },
        { field: 'expiry_year', code: 'invalid' },
        { field: 'cvc', code: 'invalid' },
      ],
    });
    expect(validateCardForm({}, NOW)).toEqual({
      ok: false,
      errors: ['card_number', 'expiry_month', 'expiry_year', 'cvc'].map((field) => ({ field, code: 'required' })),
    });
    expect(validateCardForm({ ...valid, card_number: '4242' }, NOW)).toEqual({ ok: false, errors: [{ field: 'card_number', code: 'invalid' }] });
  });

  it('maps the test cards to their behaviour and refuses any other card', () => {
    expect(behaviourFor('4242424242424242')).toEqual({ kind: 'authorize' });
    expect(behaviourFor('4000000000000077')).toEqual({ kind: 'deferred', now: 'PENDING', then: 'AUTHORIZED' });
    expect(behaviourFor('4000000000000093')).toEqual({ kind: 'deferred', now: 'UNCERTAIN', then: 'REFUSED' });
    expect(behaviourFor('5555555555554444')).toEqual({ kind: 'refuse', reason: 'unknown_card' });
  });
});
