/**
 * Phone numbers, checked once (issue 9, item 6): by the create schema, which stores what
 * `toE164` answers, and by the SMS adapter's sanity check, so that a number a link was created with
 * is always one the adapter sends to (the schema once took `+1234`, which the adapter refused at
 * every retry, into the DLQ).
 *
 * libphonenumber-js with its min metadata (Google's numbering plans, lengths and leading digits per
 * country): the smallest build that tells a number any country could route from one none can.
 * Telling mobile from fixed-line numbers would take the max metadata (about 73 KB more per bundle).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/** "+", then digits with the spaces, dashes, dots and parentheses people write them with: no national form, no extension. */
const INTERNATIONAL_FORM = /^\+[0-9 ().-]{1,40}$/;

export const PHONE_NUMBER_RULE = 'must be a valid international phone number: "+", the country code, then the number, such as +33612345678';

/** The number in E.164 (`+33612345678`), or undefined when it is not a valid international number. */
export function toE164(text: string): string | undefined {
  if (!INTERNATIONAL_FORM.test(text)) return undefined;
  const phone = parsePhoneNumberFromString(text, { extract: false });
  if (!phone || phone.ext || !phone.isValid()) return undefined;
  return phone.number;
}

/** A valid number already in E.164, as `toE164` stores it. */
export function isE164PhoneNumber(value: string): boolean {
  return toE164(value) === value;
}
