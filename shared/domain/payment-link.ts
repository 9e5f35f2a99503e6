/**
 * The payment link: what is stored, how it is shown (the Purse resource), and the commands on it.
 * Pure domain code: everything it needs arrives as ports.
 */
import { findCurrency } from './currencies.js';
import {
  ForbiddenError,
  InvalidTransitionError,
  NotFoundError,
  ValidationError,
  VersionConflictError,
  type FieldError,
} from './errors.js';
import { transition, type AuthorizationStatus, type LinkEvent, type LinkStatus, type TransitionResult } from './link-status.js';
import type { Clock, IdGenerator, LinkFilter, LinkStore, Merchant, Page } from './ports.js';
import { MAX_EXPIRY_DAYS, type CreatePaymentLinkInput, type PaymentLinkResource } from './schemas.js';
import { checkUrl, type UrlPolicy } from './url-policy.js';
import type { NotificationRecord } from './notifications.js';
import { smsNumber } from './notifications.js';
import { MAX_REMINDERS, parseDurationMs } from './workflow.js';

export type LateSettlement = 'VOID_PENDING' | 'REFUND_PENDING' | 'VOIDED' | 'REFUNDED';

export interface PaymentRecord {
  id: string;
  authorization_status: AuthorizationStatus;
  client_session_id?: string;
  provider?: string;
  amount?: number;
  currency?: string;
  created_at?: string;
  /** Authorized for a link that could no longer be paid: to be voided (refunded if captured). */
  late_settlement?: LateSettlement;
}

export interface ClientSessionRecord {
  id: string;
  status: string;
}

/** The stored link. `webhook` (which may carry merchant secrets in headers) is never shown back. */
export interface PaymentLink {
  id: string;
  version: number;
  entity_id: string;
  status: LinkStatus;
  amount: number;
  currency: string;
  shopper_redirection_url: string;
  capture_mode: 'AUTOMATIC' | 'MANUAL';
  expires_at: string;
  customer?: CreatePaymentLinkInput['customer'];
  order: CreatePaymentLinkInput['order'];
  three_ds_authentication_options?: CreatePaymentLinkInput['three_ds_authentication_options'];
  webhook?: CreatePaymentLinkInput['webhook'];
  allow_future_usage: boolean;
  send_by_email: boolean;
  send_by_sms: boolean;
  payments: PaymentRecord[];
  client_sessions: ClientSessionRecord[];
  /** The provider client sessions are opened at (set on first open). */
  provider?: string;
  /** The latest provider event ids applied, so a redelivered webhook changes nothing. */
  processed_event_ids?: string[];
  /** Reminder times as ISO 8601 durations before expiry (else the merchant's default). */
  reminder_schedule?: string[];
  /** Every email / SMS sent (or suppressed) for this link. */
  notifications?: NotificationRecord[];
  /** When resends were asked for in the last hour (rate limit). */
  resend_requests?: string[];
  created_at: string;
  updated_at: string;
}

export interface PublicUrls {
  /** Base of the REST API, e.g. https://api.example.com (no trailing slash). */
  apiBaseUrl: string;
  /** Base of the shopper-facing pages; customer_url is `${payBaseUrl}/payment-links/{id}`. */
  payBaseUrl: string;
}

export function toResource(link: PaymentLink, urls: PublicUrls): PaymentLinkResource {
  const self = `${urls.apiBaseUrl}/payment/v2/payment-links/${link.id}`;
  return {
    id: link.id,
    version: link.version,
    entity_id: link.entity_id,
    status: link.status,
    amount: link.amount,
    currency: link.currency,
    shopper_redirection_url: link.shopper_redirection_url,
    capture_mode: link.capture_mode,
    expires_at: link.expires_at,
    links: {
      self: { href: self, method: 'GET' },
      customer_url: { href: `${urls.payBaseUrl}/payment-links/${link.id}`, method: 'GET' },
      cancel: { href: `${self}/cancel`, method: 'POST' },
    },
    ...(link.customer ? { customer: link.customer } : {}),
    order: link.order,
    allow_future_usage: link.allow_future_usage,
    payments: link.payments.map((p) => ({ id: p.id, authorization_status: p.authorization_status })),
    client_sessions: link.client_sessions.map((c) => ({ id: c.id, status: c.status })),
    created_at: link.created_at,
    updated_at: link.updated_at,
  };
}

export interface CreateDeps {
  store: LinkStore;
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

export async function createPaymentLink(
  input: CreatePaymentLinkInput,
  merchant: Merchant,
  deps: CreateDeps,
): Promise<PaymentLink> {
  if (input.entity_id !== merchant.entity_id) {
    throw new ForbiddenError('entity_id does not belong to the authenticated merchant');
  }
  const now = deps.clock.now();
  const errors = businessRuleErrors(input, now, deps.urlPolicy);
  if (errors.length > 0) throw new ValidationError(errors);

  const expiresAt =
    input.expires_at !== undefined
      ? new Date(input.expires_at)
      : new Date(now.getTime() + (input.expiration_in_minutes ?? merchant.default_expiry_minutes) * MINUTE_MS);

  const link: PaymentLink = {
    id: deps.ids.newId(),
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
  await deps.store.create(link);
  return link;
}

/** A link the merchant may see: another merchant's link is indistinguishable from a missing one. */
export async function getOwnLink(id: string, merchant: Merchant, store: LinkStore): Promise<PaymentLink> {
  const link = await store.get(id);
  if (!link || link.entity_id !== merchant.entity_id) throw new NotFoundError(`payment link ${id} not found`);
  return link;
}

export async function listOwnLinks(
  merchant: Merchant,
  filter: LinkFilter,
  limit: number,
  cursor: string | undefined,
  store: LinkStore,
): Promise<Page<PaymentLink>> {
  return store.list(merchant.entity_id, filter, limit, cursor);
}

export interface ApplyResult {
  link: PaymentLink;
  result: TransitionResult;
}

/** Enough for a burst of concurrent writers on one link (each round, one of them wins). */
const MAX_WRITE_ATTEMPTS = 10;

/** Jittered backoff between attempts, so that losers do not collide again in lockstep. */
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));

/**
 * Optimistic concurrency for every change of a link: read, decide (a pure function of what was
 * read), write conditionally on the version read; on a lost race, read again and decide again.
 * `decide` returns the next link (its version is set here) or undefined for "nothing to write".
 */
export async function updateLink<T>(
  load: () => Promise<PaymentLink>,
  decide: (current: PaymentLink) => { next?: PaymentLink; value: T },
  deps: { store: LinkStore; clock: Clock },
): Promise<{ link: PaymentLink; value: T; written: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const current = await load();
    const { next, value } = decide(current);
    if (!next) return { link: current, value, written: false };
    const written = { ...next, version: current.version + 1, updated_at: deps.clock.now().toISOString() };
    try {
      await deps.store.update(written, current.version);
      return { link: written, value, written: true };
    } catch (err) {
      if (!(err instanceof VersionConflictError) || attempt >= MAX_WRITE_ATTEMPTS) throw err;
      await backoff(attempt);
    }
  }
}

/** Applies a state-machine event; `mutate` may change more of the link in the same write. */
export async function applyLinkEvent(
  load: () => Promise<PaymentLink>,
  event: LinkEvent,
  deps: { store: LinkStore; clock: Clock },
  mutate: (link: PaymentLink, result: TransitionResult) => PaymentLink = (link) => link,
): Promise<ApplyResult> {
  const { link, value } = await updateLink<TransitionResult>(
    load,
    (current) => {
      const result = transition(current.status, event);
      return result.outcome === 'changed' ? { next: mutate({ ...current, status: result.to }, result), value: result } : { value: result };
    },
    deps,
  );
  return { link, result: value };
}

export async function cancelPaymentLink(
  id: string,
  merchant: Merchant,
  deps: { store: LinkStore; clock: Clock },
): Promise<PaymentLink> {
  const { link, result } = await applyLinkEvent(() => getOwnLink(id, merchant, deps.store), { type: 'CANCEL' }, deps);
  if (result.outcome === 'rejected') throw new InvalidTransitionError(result.reason);
  return link;
}
