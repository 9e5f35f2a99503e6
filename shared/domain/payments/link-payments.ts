/**
 * The shopper's side of a link: opening it (a client session at the provider) and the signed return
 * to the merchant, which applies the provider's answer first. Provider notifications are applied
 * in provider-events.ts (re-exported here). Pure domain code over ports; every change is a
 * conditional write through updateLink.
 */
import type { ClientSessionState, PaymentProvider, ProviderEvent, ProviderRegistry } from '../../providers/payment-provider.js';
import { NotFoundError } from '../errors.js';
import { TERMINAL_STATUSES, transition, type LinkStatus } from '../link/status.js';
import { updateLink } from '../link/write.js';
import { customerUrl, type PaymentLink, type PublicUrls } from '../link/model.js';
import type { Clock, LinkStore, MerchantDirectory } from '../ports.js';
import { applyConfirmedEvent, type ApplyDeps, type Applied } from './provider-events.js';
import type { RedirectionClaims } from './redirection.js';
import type { RedirectionSigner } from '../ports.js';

export {
  UnknownPaymentLinkError,
  applyConfirmedEvent,
  applyProviderEvent,
  decidePaymentEvent,
  settlePayments,
  type ApplyDeps,
  type ApplyOutcome,
  type Applied,
} from './provider-events.js';

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

// ── The shopper comes back from the provider ──────────────────────────────────────────────────

export interface ReturnDeps extends ApplyDeps {
  redirection: RedirectionSigner;
}

export interface ReturnOutcome {
  /** The merchant's shopper_redirection_url with purse-redirection-data. */
  location: string;
  /** What applying the provider's answer did; absent when the session has no payment yet. */
  applied?: Applied;
  /** Applying failed: the shopper is sent on all the same, and the provider's webhook applies it. */
  applyError?: unknown;
}

/**
 * The provider's answer on the shopper's return, applied like its webhook (issue 9, item 11), so the
 * merchant's confirmation page reads PAYMENT_IN_PROGRESS or PAID at once. It is the payment of
 * this session of this link, confirmed by the provider (same checks as a webhook), under an event
 * id of its own; the webhook that reports the same status later is then stale and changes nothing.
 */
async function applyOnReturn(link: PaymentLink, session: ClientSessionState, provider: PaymentProvider, deps: ApplyDeps): Promise<Applied | undefined> {
  if (!session.payment) return undefined;
  const confirmed = await provider.getPayment(session.payment.id);
  if (!confirmed) return undefined; // the session named a payment its provider does not know: nothing to apply
  const event: ProviderEvent = {
    provider: provider.name,
    event_id: `return:${confirmed.id}:${confirmed.authorization_status}`,
    occurred_at: deps.clock.now().toISOString(),
    payment: { ...confirmed, payment_link_id: link.id, client_session_id: session.id },
  };
  return applyConfirmedEvent(event, confirmed, deps);
}

/**
 * After an attempt the provider sends the shopper to Paylink's return URL; Paylink asks the
 * provider how the session ended, applies that to the link, signs it (purse-redirection-data) and
 * sends the shopper on to the merchant's shopper_redirection_url, keeping its query.
 */
export async function shopperReturn(linkId: string, clientSessionId: string, deps: ReturnDeps): Promise<ReturnOutcome> {
  const link = await deps.links.get(linkId);
  const known = link?.client_sessions.some((s) => s.id === clientSessionId);
  if (!link || !known) throw new NotFoundError('unknown payment link or client session');
  const provider = deps.providers.get(link.provider ?? '');
  if (!provider) throw new NotFoundError('unknown payment link or client session');
  const session: ClientSessionState = await provider.getClientSession(clientSessionId);
  if (session.payment_link_id !== link.id) throw new NotFoundError('unknown payment link or client session');

  let applied: Applied | undefined;
  let applyError: unknown;
  try {
    applied = await applyOnReturn(link, session, provider, deps);
  } catch (error) {
    applyError = error;
  }

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
  return { location: target.toString(), ...(applied ? { applied } : {}), ...(applyError !== undefined ? { applyError } : {}) };
}

export type { PaymentProvider };
