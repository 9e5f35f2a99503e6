/**
 * The merchant's commands on links: create (with the rules a schema cannot express), read, list,
 * cancel. Pure domain code: everything it needs arrives as ports.
 */
import { findCurrency } from '../currencies.js';
import type { IdempotentAttempt } from '../idempotency/idempotency.js';
import { ForbiddenError, InvalidTransitionError, NotFoundError, ValidationError, type FieldError } from '../errors.js';
import type { Clock, IdGenerator, LinkFilter, LinkStore, Merchant, Page } from '../ports.js';
import { checkUrl, type UrlPolicy } from '../url-policy.js';
import { MAX_EXPIRY_DAYS, smsNumber, type PaymentLink } from './model.js';
import { MAX_REMINDERS, parseDurationMs } from './reminder-schedule.js';
import type { CreatePaymentLinkInput } from './schemas.js';
import { applyLinkEvent } from './write.js';

export interface CreateDeps {
  links: LinkStore;
  clock: Clock;
  ids: IdGenerator;
  urlPolicy: UrlPolicy;
}

const MINUTE_MS = 60_000;

/** Rules that a schema cannot express: they depend on other fields, the clock or configuration. */
function businessRuleErrors(input: CreatePaymentLinkInput, now: Date, urlPolicy: UrlPolicy): FieldError[] {
  const errors: FieldError[] = [];
  if (!findCurrency(input.currency)) {
    errors.push({ pointer: '/currency', detail: `${input.currency} is not an ISO 4217 currency that can be paid in` });
  }
  if (input.amount === 0 && input.allow_future_usage !== true) {
    errors.push({ pointer: '/amount', detail: 'may be 0 only when allow_future_usage is true' });
  }
  if (input.expires_at !== undefined && input.expiration_in_minutes !== undefined) {
    errors.push({ pointer: '/expiration_in_minutes', detail: 'give either expires_at or expiration_in_minutes, not both' });
  }
  if (input.expires_at !== undefined) {
    const at = Date.parse(input.expires_at);
    if (at <= now.getTime()) errors.push({ pointer: '/expires_at', detail: 'must be in the future' });
    else if (at > now.getTime() + MAX_EXPIRY_DAYS * 24 * 60 * MINUTE_MS) {
      errors.push({ pointer: '/expires_at', detail: `must be at most ${MAX_EXPIRY_DAYS} days ahead` });
    }
  }
  if (input.send_by_email === true && !input.customer?.email) {
    errors.push({ pointer: '/customer/email', detail: 'is required when send_by_email is true' });
  }
  if (input.send_by_sms === true && !smsNumber({ customer: input.customer, order: input.order })) {
    errors.push({
      pointer: '/customer/mobile_phone_number',
      detail: 'is required (or order.billing_address.mobile_phone_number) when send_by_sms is true',
    });
  }
  if (input.reminder_schedule) {
    if (input.reminder_schedule.length > MAX_REMINDERS) {
      errors.push({ pointer: '/reminder_schedule', detail: `at most ${MAX_REMINDERS} reminders` });
    }
    input.reminder_schedule.forEach((d, i) => {
      if (!parseDurationMs(d)) errors.push({ pointer: `/reminder_schedule/${i}`, detail: 'must be an ISO 8601 duration such as PT24H or P1DT12H' });
    });
  }
  const redirect = checkUrl(input.shopper_redirection_url, urlPolicy);
  if (redirect) errors.push({ pointer: '/shopper_redirection_url', detail: redirect });
  if (input.webhook) {
    const hook = checkUrl(input.webhook.url, urlPolicy);
    if (hook) errors.push({ pointer: '/webhook/url', detail: hook });
  }
  return errors;
}

/**
 * Creates a link. Under an Idempotency-Key the link's id is the attempt's id, so every attempt of
 * one request names the same link: a re-run after a crash answers the link the dead attempt wrote
 * (before validating again: the clock has moved), and the conditional put stops a second one.
 */
export async function createPaymentLink(
  input: CreatePaymentLinkInput,
  merchant: Merchant,
  deps: CreateDeps,
  attempt?: IdempotentAttempt,
): Promise<PaymentLink> {
  if (input.entity_id !== merchant.entity_id) {
    throw new ForbiddenError('entity_id does not belong to the authenticated merchant');
  }
  const writtenEarlier = async () => {
    const earlier = attempt && (await deps.links.get(attempt.id));
    return earlier && earlier.entity_id === merchant.entity_id ? earlier : undefined;
  };
  const resumedLink = attempt?.resumed ? await writtenEarlier() : undefined;
  if (resumedLink) return resumedLink;
  const now = deps.clock.now();
  const errors = businessRuleErrors(input, now, deps.urlPolicy);
  if (errors.length > 0) throw new ValidationError(errors);

  const expiresAt =
    input.expires_at !== undefined
      ? new Date(input.expires_at)
      : new Date(now.getTime() + (input.expiration_in_minutes ?? merchant.default_expiry_minutes) * MINUTE_MS);

  const link: PaymentLink = {
    id: attempt?.id ?? deps.ids.newId(),
    version: 1,
    entity_id: merchant.entity_id,
    status: 'CREATED',
    amount: input.amount,
    currency: input.currency,
    shopper_redirection_url: input.shopper_redirection_url,
    capture_mode: input.capture_mode ?? 'AUTOMATIC',
    expires_at: expiresAt.toISOString(),
    ...(input.customer ? { customer: input.customer } : {}),
    order: input.order,
    ...(input.three_ds_authentication_options
      ? { three_ds_authentication_options: input.three_ds_authentication_options }
      : {}),
    ...(input.webhook ? { webhook: input.webhook } : {}),
    allow_future_usage: input.allow_future_usage ?? false,
    send_by_email: input.send_by_email ?? false,
    send_by_sms: input.send_by_sms ?? false,
    ...(input.reminder_schedule ? { reminder_schedule: input.reminder_schedule } : {}),
    payments: [],
    client_sessions: [],
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  try {
    await deps.links.create(link);
  } catch (err) {
    // An attempt taken over while it was only slow wrote this request's link first: answer that one.
    const earlier = await writtenEarlier();
    if (earlier) return earlier;
    throw err;
  }
  return link;
}

/** A link the merchant may see: another merchant's link is indistinguishable from a missing one. */
export async function getOwnLink(id: string, merchant: Merchant, links: LinkStore): Promise<PaymentLink> {
  const link = await links.get(id);
  if (!link || link.entity_id !== merchant.entity_id) throw new NotFoundError(`payment link ${id} not found`);
  return link;
}

export async function listOwnLinks(
  merchant: Merchant,
  filter: LinkFilter,
  limit: number,
  cursor: string | undefined,
  links: LinkStore,
): Promise<Page<PaymentLink>> {
  return links.list(merchant.entity_id, filter, limit, cursor);
}

export async function cancelPaymentLink(
  id: string,
  merchant: Merchant,
  deps: { links: LinkStore; clock: Clock },
): Promise<PaymentLink> {
  const { link, result } = await applyLinkEvent(() => getOwnLink(id, merchant, deps.links), { type: 'CANCEL' }, deps);
  if (result.outcome === 'rejected') throw new InvalidTransitionError(result.reason);
  return link;
}
