/**
 * The sandbox PSP's card rules: form validation (Luhn, expiry, CVC) and what each test card does.
 * Pure: the caller passes the current time.
 */
import type { AuthorizationStatus } from '../../shared/domain/link/status.js';

/** What a test card's first authorization attempt returns; the PSP drives the rest (3DS, timers). */
export type CardBehaviour =
  | { kind: 'authorize' }
  | { kind: 'refuse'; reason: 'declined' | 'unknown_card' }
  | { kind: 'challenge' }
  /** Answered PENDING or UNCERTAIN now; resolved to `then` by a later webhook after pendingMs. */
  | { kind: 'deferred'; now: Extract<AuthorizationStatus, 'PENDING' | 'UNCERTAIN'>; then: Extract<AuthorizationStatus, 'AUTHORIZED' | 'REFUSED'> };

export const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = {
  '4242424242424242': { kind: 'authorize' },
  '4000000000000002': { kind: 'refuse', reason: 'declined' },
  '4000000000003220': { kind: 'challenge' },
  '4000000000000077': { kind: 'deferred', now: 'PENDING', then: 'AUTHORIZED' },
  '4000000000000093': { kind: 'deferred', now: 'UNCERTAIN', then: 'REFUSED' },
};

/** Any valid card that is not a test card is refused: the sandbox never pretends to charge a real card. */
export function behaviourFor(cardNumber: string): CardBehaviour {
  return TEST_CARDS[cardNumber] ?? { kind: 'refuse', reason: 'unknown_card' };
}

export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Double every second digit counting from the right (the check digit is not doubled).
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export type CardField = 'card_number' | 'expiry_month' | 'expiry_year' | 'cvc' | 'holder_name';

export type CardFieldError = { field: CardField; code: 'required' | 'invalid' | 'luhn' | 'expired' };

export interface CardForm {
  card_number: string;
  expiry_month: number;
  expiry_year: number;
  cvc: string;
  holder_name: string;
}

/**
 * Validates the posted card form. The expiry is inclusive of its month (a card marked 03/27 works
 * until the end of March 2027, as printed cards do), compared in UTC.
 */
export function validateCardForm(
  input: Partial<Record<CardField, string>>,
  now: Date,
): { ok: true; card: CardForm } | { ok: false; errors: CardFieldError[] } {
  const errors: CardFieldError[] = [];
  // Shoppers type spaces and dashes between digit groups.
  const number = (input.card_number ?? '').replace(/[\s-]/g, '');
  if (number === '') errors.push({ field: 'card_number', code: 'required' });
  else if (!/^\d{12,19}$/.test(number)) errors.push({ field: 'card_number', code: 'invalid' });
  else if (!luhnValid(number)) errors.push({ field: 'card_number', code: 'luhn' });

  const monthText = (input.expiry_month ?? '').trim();
  const yearText = (input.expiry_year ?? '').trim();
  const month = /^\d{1,2}$/.test(monthText) ? Number(monthText) : NaN;
  const year = /^(\d{2}|\d{4})$/.test(yearText) ? (yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText)) : NaN;
  const monthOk = month >= 1 && month <= 12;
  if (monthText === '') errors.push({ field: 'expiry_month', code: 'required' });
  else if (!monthOk) errors.push({ field: 'expiry_month', code: 'invalid' });
  if (yearText === '') errors.push({ field: 'expiry_year', code: 'required' });
  else if (Number.isNaN(year)) errors.push({ field: 'expiry_year', code: 'invalid' });
  if (monthOk && !Number.isNaN(year)) {
    const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
    if (year * 12 + (month - 1) < current) {
      errors.push({ field: year < now.getUTCFullYear() ? 'expiry_year' : 'expiry_month', code: 'expired' });
    }
  }

  const cvc = (input.cvc ?? '').trim();
  if (cvc === '') errors.push({ field: 'cvc', code: 'required' });
  else if (!/^\d{3,4}$/.test(cvc)) errors.push({ field: 'cvc', code: 'invalid' });

  const holder = (input.holder_name ?? '').trim();
  if (holder.length > 100) errors.push({ field: 'holder_name', code: 'invalid' });

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, card: { card_number: number, expiry_month: month, expiry_year: year, cvc, holder_name: holder } };
}
