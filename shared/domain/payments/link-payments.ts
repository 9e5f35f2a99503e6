/**
 * The shopper's side of a link: opening it (a client session at the provider) and the signed return
 * to the merchant, which applies the provider's answer first. Provider notifications are applied
 * in provider-events.ts (re-exported here). Pure domain code over ports; every change is a
 * conditional write through updateLink.
 */
import type { ClientSessionState, PaymentProvider, ProviderRegistry } from '../../providers/payment-provider.js';
import { NotFoundError } from '../errors.js';
import { TERMINAL_STATUSES, transition, type LinkStatus } from '../link/status.js';
import { updateLink } from '../link/write.js';
import { customerUrl, type PaymentLink, type PublicUrls } from '../link/model.js';
import type { Clock, LinkStore, MerchantDirectory } from '../ports.js';
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
