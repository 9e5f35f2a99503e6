/**
 * The shopper's side of a link: opening it (a client session at the provider), applying the
 * provider's payment notifications, settling late payments, and the signed return to the merchant.
 * Pure domain code over ports; every change is a conditional write through updateLink.
 */
import type { ClientSessionState, PaymentProvider, ProviderEvent, ProviderRegistry } from '../../providers/payment-provider.js';
import { NotFoundError } from '../errors.js';
import { TERMINAL_STATUSES, transition, type AuthorizationStatus, type LinkStatus } from '../link/status.js';
import { updateLink } from '../link/write.js';
import { customerUrl, type PaymentLink, type PaymentRecord, type PublicUrls } from '../link/model.js';
import type { Clock, LinkStore, MerchantDirectory } from '../ports.js';
import type { RedirectionClaims } from './redirection.js';
import type { RedirectionSigner } from '../ports.js';

/** How many applied provider event ids a link remembers (far more than one link ever receives). */
const REMEMBERED_EVENT_IDS = 100;

const FINAL: ReadonlySet<AuthorizationStatus> = new Set(['AUTHORIZED', 'REFUSED', 'ABORTED']);

export function returnUrl(linkId: string, urls: PublicUrls): string {
  return `${urls.payBaseUrl}/payment-links/${linkId}/return`;
}

export function isPastExpiry(link: PaymentLink, now: Date): boolean {
  return now.getTime() >= Date.parse(link.expires_at);
}

// ── Opening the customer URL ──────────────────────────────────────────────────────────────────

export type OpenOutcome =
  | { kind: 'not_found' }
  | { kind: 'paid'; link: PaymentLink }
  | { kind: 'in_progress'; link: PaymentLink }
  /** EXPIRED, CANCELLED, or past its expiry time (the workflow may not have expired it yet). */
  | { kind: 'gone'; link: PaymentLink }
  | { kind: 'redirect'; link: PaymentLink; location: string };

export interface OpenDeps {
  links: LinkStore;
  clock: Clock;
  providers: ProviderRegistry;
  merchants: MerchantDirectory;
  urls: PublicUrls;
}

function settledOutcome(link: PaymentLink, now: Date): OpenOutcome | undefined {
  if (link.status === 'PAID') return { kind: 'paid', link };
  if (link.status === 'PAYMENT_IN_PROGRESS') return { kind: 'in_progress', link };
  if (TERMINAL_STATUSES.has(link.status) || isPastExpiry(link, now)) return { kind: 'gone', link };
  return undefined;
}

/**
 * A shopper opens the customer URL. A CREATED or OPENED link gets a new client session at its
 * provider (CREATED → OPENED in the same write) and the shopper is sent to the hosted page.
 */
export async function openForPayment(linkId: string, deps: OpenDeps): Promise<OpenOutcome> {
  const found = await deps.links.get(linkId);
  if (!found) return { kind: 'not_found' };
  const early = settledOutcome(found, deps.clock.now());
  if (early) return early;

  const provider = found.provider ? deps.providers.get(found.provider) : deps.providers.default();
  if (!provider) throw new Error(`payment provider ${found.provider} is not configured`);
  const merchant = await deps.merchants.getMerchant(found.entity_id);
  const session = await provider.createClientSession({
    payment_link_id: found.id,
    entity_id: found.entity_id,
    amount: found.amount,
    currency: found.currency,
    capture_mode: found.capture_mode,
    return_url: returnUrl(found.id, deps.urls),
    retry_url: customerUrl(deps.urls, found.id),
    locale: found.customer?.locale ?? 'en',
    merchant_display_name: merchant?.display_name ?? found.entity_id,
    order_reference: found.order.reference,
  });

  // The session is recorded with the open; if the link moved on meanwhile (paid in another tab,
  // cancelled), nothing is written and the shopper sees that instead. An unused session at the
  // provider is harmless.
  const { link, value } = await updateLink<OpenOutcome>(
    async () => (await deps.links.get(linkId)) ?? found,
    (current) => {
      const settled = settledOutcome(current, deps.clock.now());
      if (settled) return { value: settled };
      const result = transition(current.status, { type: 'OPEN' });
      const status: LinkStatus = result.outcome === 'changed' ? result.to : current.status;
      return {
        next: {
          ...current,
          status,
          provider: provider.name,
          client_sessions: [...current.client_sessions, { id: session.id, status: 'CREATED' }],
        },
        value: { kind: 'redirect', link: current, location: session.redirect_url },
      };
    },
    deps,
  );
  return value.kind === 'redirect' ? { ...value, link } : value;
}

// ── Provider notifications ────────────────────────────────────────────────────────────────────

export class UnknownPaymentLinkError extends Error {
  override readonly name = 'UnknownPaymentLinkError';
}

export type ApplyOutcome = 'applied' | 'duplicate' | 'stale' | 'late_payment';

/** A payment's statuses only move forward: a final one is never replaced (reordered webhooks). */
function supersedes(next: AuthorizationStatus, existing: AuthorizationStatus | undefined): boolean {
  if (existing === undefined) return true;
  if (FINAL.has(existing)) return false;
  return next !== existing;
}

function remember(ids: string[] | undefined, id: string): string[] {
  return [...(ids ?? []), id].slice(-REMEMBERED_EVENT_IDS);
}

/** The link after one provider event, or undefined when the event changes nothing. Pure. */
export function decidePaymentEvent(current: PaymentLink, event: ProviderEvent): { next?: PaymentLink; value: ApplyOutcome } {
  if (current.processed_event_ids?.includes(event.event_id)) return { value: 'duplicate' };
  const payment = event.payment;
  const existing = current.payments.find((p) => p.id === payment.id);
  if (!supersedes(payment.authorization_status, existing?.authorization_status)) return { value: 'stale' };

  const result = transition(current.status, { type: 'PAYMENT', authorization_status: payment.authorization_status });
  let status = current.status;
  let late = false;
  if (result.outcome === 'changed') {
    status = result.to;
    // A refusal of one attempt does not end another attempt that is still in progress.
    const othersInProgress = current.payments.some((p) => p.id !== payment.id && !FINAL.has(p.authorization_status));
    if (status === 'OPENED' && othersInProgress) status = 'PAYMENT_IN_PROGRESS';
  } else if (result.outcome === 'late_payment') {
    late = true;
  }

  const record: PaymentRecord = {
    ...existing,
    id: payment.id,
    authorization_status: payment.authorization_status,
    client_session_id: payment.client_session_id,
    provider: event.provider,
    amount: payment.amount,
    currency: payment.currency,
    created_at: existing?.created_at ?? payment.created_at,
    ...(late ? { late_settlement: payment.captured ? 'REFUND_PENDING' : 'VOID_PENDING' } : {}),
  };
  const payments = existing ? current.payments.map((p) => (p.id === payment.id ? record : p)) : [...current.payments, record];
  const client_sessions = current.client_sessions.map((s) =>
    s.id === payment.client_session_id && s.status === 'CREATED' ? { ...s, status: 'SUBMITTED' } : s,
  );
  return {
    next: { ...current, status, payments, client_sessions, processed_event_ids: remember(current.processed_event_ids, event.event_id) },
    value: late ? 'late_payment' : 'applied',
  };
}

export interface ApplyDeps {
  links: LinkStore;
  clock: Clock;
  providers: ProviderRegistry;
}

/**
 * Applies one verified provider event: at most once (by event id), in any order (statuses only
 * move forward, PAID is never reverted), and with concurrent authorizations only one can make the
 * link PAID: the others are recorded as late and voided (refunded if captured).
 */
export async function applyProviderEvent(event: ProviderEvent, deps: ApplyDeps): Promise<{ outcome: ApplyOutcome; link: PaymentLink }> {
  const linkId = event.payment.payment_link_id;
  const load = async () => {
    const link = await deps.links.get(linkId);
    if (!link) throw new UnknownPaymentLinkError(`no payment link ${linkId} for provider event ${event.event_id}`);
    return link;
  };
  const { link, value } = await updateLink<ApplyOutcome>(load, (current) => decidePaymentEvent(current, event), deps);
  // Also after a duplicate: an earlier delivery may have recorded the late payment and then failed
  // before the provider call.
  const settled = await settleLatePayments(link, { ...deps, load });
  return { outcome: value, link: settled };
}

/** Voids (or refunds, if captured) every late payment not settled yet, then records that. */
export async function settleLatePayments(
  link: PaymentLink,
  deps: ApplyDeps & { load: () => Promise<PaymentLink> },
): Promise<PaymentLink> {
  let current = link;
  for (const payment of link.payments) {
    if (payment.late_settlement !== 'VOID_PENDING' && payment.late_settlement !== 'REFUND_PENDING') continue;
    const provider = deps.providers.get(payment.provider ?? '');
    if (!provider) throw new Error(`payment provider ${payment.provider} is not configured`);
    const refund = payment.late_settlement === 'REFUND_PENDING';
    if (refund) await provider.refundPayment(payment.id, payment.amount ?? link.amount);
    else await provider.voidPayment(payment.id);
    const done = refund ? 'REFUNDED' : 'VOIDED';
    ({ link: current } = await updateLink(
      deps.load,
      (latest) => {
        const target = latest.payments.find((p) => p.id === payment.id);
        if (!target || target.late_settlement === done) return { value: undefined };
        return {
          next: { ...latest, payments: latest.payments.map((p) => (p.id === payment.id ? { ...p, late_settlement: done } : p)) },
          value: undefined,
        };
      },
      deps,
    ));
  }
  return current;
}

// ── The shopper comes back from the provider ──────────────────────────────────────────────────

export interface ReturnDeps {
  links: LinkStore;
  providers: ProviderRegistry;
  redirection: RedirectionSigner;
}

/**
 * After an attempt the provider sends the shopper to Paylink's return URL; Paylink asks the
 * provider how the session ended, signs that (purse-redirection-data) and sends the shopper on to
 * the merchant's shopper_redirection_url, keeping its query.
 */
export async function shopperReturn(linkId: string, clientSessionId: string, deps: ReturnDeps): Promise<string> {
  const link = await deps.links.get(linkId);
  const known = link?.client_sessions.some((s) => s.id === clientSessionId);
  if (!link || !known) throw new NotFoundError('unknown payment link or client session');
  const provider = deps.providers.get(link.provider ?? '');
  if (!provider) throw new NotFoundError('unknown payment link or client session');
  const session: ClientSessionState = await provider.getClientSession(clientSessionId);
  if (session.payment_link_id !== link.id) throw new NotFoundError('unknown payment link or client session');

  const claims: RedirectionClaims = {
    payment_link_id: link.id,
    client_session_id: session.id,
    payment_id: session.payment?.id ?? null,
    authorization_status: session.payment?.authorization_status ?? null,
    client_session_status: session.status,
  };
  const token = await deps.redirection.sign(claims, link.entity_id);
  const target = new URL(link.shopper_redirection_url);
  target.searchParams.set('purse-redirection-data', token);
  return target.toString();
}

export type { PaymentProvider };
