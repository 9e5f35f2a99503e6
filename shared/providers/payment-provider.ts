/**
 * The one port every payment provider sits behind (sandbox built in; Purse later). Paylink never
 * learns a payment's outcome any other way than through the provider's signed webhooks, each
 * confirmed by asking the provider for the payment (getPayment), or by asking the provider when the
 * shopper comes back (getClientSession, then getPayment): providers never write to Paylink's table.
 */
import type { AuthorizationStatus } from '../domain/link/status.js';

export const CLIENT_SESSION_STATUSES = ['CREATED', 'SUBMITTED', 'ABORTED_BY_CUSTOMER', 'ABORTED_BY_MERCHANT'] as const;
export type ClientSessionStatus = (typeof CLIENT_SESSION_STATUSES)[number];

export interface ClientSessionRequest {
  payment_link_id: string;
  entity_id: string;
  amount: number;
  currency: string;
  capture_mode: 'AUTOMATIC' | 'MANUAL';
  /** Where the provider sends the shopper after an AUTHORIZED, PENDING or UNCERTAIN attempt
   * (Paylink's return endpoint, which signs the redirection and forwards to the merchant). The
   * provider appends `client_session_id=<id>`. */
  return_url: string;
  /** Where the provider offers to send the shopper after a refusal, to try again (the customer URL). */
  retry_url: string;
  /** BCP 47 tag for the hosted page, e.g. fr-FR. */
  locale: string;
  /** Shown on the hosted page. */
  merchant_display_name: string;
  order_reference: string;
}

export interface ProviderClientSession {
  id: string;
  /** The provider's hosted payment page for this session: the shopper is sent there (303). */
  redirect_url: string;
}

export interface ProviderPayment {
  id: string;
  client_session_id: string;
  payment_link_id: string;
  authorization_status: AuthorizationStatus;
  amount: number;
  currency: string;
  /** True once funds are captured (AUTOMATIC capture): a late payment must be refunded, not voided. */
  captured: boolean;
  created_at: string;
}

export interface ClientSessionState {
  id: string;
  payment_link_id: string;
  status: ClientSessionStatus;
  /** The session's latest payment attempt, if any. */
  payment?: { id: string; authorization_status: AuthorizationStatus };
}

/** A verified provider notification, in Paylink's terms. */
export interface ProviderEvent {
  provider: string;
  /** The provider's event id: applying the same id twice changes nothing. */
  event_id: string;
  occurred_at: string;
  payment: ProviderPayment;
}

export type WebhookVerification = { ok: true } | { ok: false; reason: string };

export interface PaymentProvider {
  readonly name: string;
  createClientSession(request: ClientSessionRequest): Promise<ProviderClientSession>;
  getClientSession(id: string): Promise<ClientSessionState>;
  /** The payment as the provider holds it now; undefined when the provider does not know the id
   * (a notification naming it is then not the provider's). Other failures throw (retried). */
  getPayment(id: string): Promise<ProviderPayment | undefined>;
  /** Idempotent: voiding a voided payment succeeds. */
  voidPayment(id: string): Promise<void>;
  /** Idempotent per payment: refunding a refunded payment succeeds. */
  refundPayment(id: string, amount: number): Promise<void>;
  /** Checks the signature over the raw body, with the provider's tolerance for clock skew. */
  verifyWebhook(rawBody: string, headers: Record<string, string | undefined>, now: Date): WebhookVerification;
  /** Turns a verified body into a ProviderEvent; throws ProviderWebhookError when it cannot. */
  parseWebhook(rawBody: string): ProviderEvent;
}

export class ProviderWebhookError extends Error {
  override readonly name = 'ProviderWebhookError';
}

/** The providers a deployment knows, by the name used in `/webhooks/{provider}`. */
export interface ProviderRegistry {
  get(name: string): PaymentProvider | undefined;
  /** The provider new client sessions are opened at. */
  default(): PaymentProvider;
}
