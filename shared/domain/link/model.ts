/**
 * The payment link as stored: its fields, its payments and client sessions, and the facts derived
 * from it alone (where the shopper pays it, which number gets its SMS). No behaviour: the commands
 * are in commands.ts, the optimistic write loop in write.ts, the Purse view in resource.ts.
 */
import type { NotificationRecord } from '../notifications/notifications.js';
import type { CreatePaymentLinkInput } from './schemas.js';
import type { AuthorizationStatus, LinkStatus } from './status.js';

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

/** Why a provider notification was not applied to the link it names (issue 9, item 4). */
export const MISMATCH_REASONS = ['amount', 'currency', 'client_session', 'payment', 'authorization_status'] as const;
export type MismatchReason = (typeof MISMATCH_REASONS)[number];

/**
 * A provider notification that did not match its link: recorded instead of applied (nothing else
 * on the link changes). An authorization the provider holds for this link is voided (refunded if
 * captured), like a late payment.
 */
export interface PaymentMismatch {
  /** The provider's event id (a return-route check has its own, see shopperReturn). */
  event_id: string;
  provider: string;
  payment_id: string;
  client_session_id?: string;
  /** What the notification said. */
  authorization_status: AuthorizationStatus;
  reasons: MismatchReason[];
  /** The payment as the provider confirmed it; absent when the provider does not know it. */
  amount?: number;
  currency?: string;
  occurred_at: string;
  settlement?: LateSettlement;
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
  /** Provider notifications that did not match the link (the latest ones), never applied. */
  payment_mismatches?: PaymentMismatch[];
  /** The latest provider event ids applied, so a redelivered webhook changes nothing. */
  processed_event_ids?: string[];
  /** Reminder times as ISO 8601 durations before expiry (else the merchant's default). */
  reminder_schedule?: string[];
  /** Every email / SMS sent (or suppressed) for this link. */
  notifications?: NotificationRecord[];
  /** When resends were asked for in the last hour (rate limit). */
  resend_requests?: string[];
  /** The notification ids of the latest resends, so a resend re-run after a crash is not counted twice. */
  resend_request_ids?: string[];
  created_at: string;
  updated_at: string;
}

export interface PublicUrls {
  /** Base of the REST API, e.g. https://api.example.com (no trailing slash). */
  apiBaseUrl: string;
  /** Base of the shopper-facing pages; customer_url is `${payBaseUrl}/payment-links/{id}`. */
  payBaseUrl: string;
}

/** How far ahead a link may expire (the create schema and the create command both hold to it). */
export const MAX_EXPIRY_DAYS = 90;

/** The customer URL: where the shopper opens the link (`links.customer_url.href`). */
export function customerUrl(urls: Pick<PublicUrls, 'payBaseUrl'>, linkId: string): string {
  return `${urls.payBaseUrl}/payment-links/${linkId}`;
}

/** The customer's mobile number for SMS: customer.mobile_phone_number, else the billing address's. */
export function smsNumber(link: Pick<PaymentLink, 'customer' | 'order'>): string | undefined {
  return link.customer?.mobile_phone_number ?? link.order.billing_address?.mobile_phone_number;
}
