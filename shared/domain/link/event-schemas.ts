/**
 * The contract with subscribers of the event bus: one schema per detail-type for the EventBridge
 * `detail`, exactly as the dispatcher publishes it (eventsForLinkChange, then putEventsEntries, which
 * puts the deterministic event id first as `event_id`). docs/events.md is generated from these
 * schemas (docs/generate-events.ts) and a test checks that what the dispatcher publishes validates.
 * Strict objects: a new field is a deliberate change of the catalogue, and the catalogue promises
 * ids, statuses and versions only, never personal data (no email, phone, name or address).
 */
import { z } from 'zod';
import { DETAIL_TYPES } from './events.js';
import { MISMATCH_REASONS } from './model.js';
import { AUTHORIZATION_STATUSES, LINK_STATUSES, TERMINAL_STATUSES, type LinkStatus } from './status.js';

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

const terminalStatuses = LINK_STATUSES.filter((s) => TERMINAL_STATUSES.has(s)) as [LinkStatus, ...LinkStatus[]];

/** `<payment_link_id>:<version>:<kind>`: the same committed change always yields the same id. */
const eventId = (kind: string, suffix = '') =>
  z
    .string()
    .regex(new RegExp(`^[^:]+:[1-9][0-9]*:${kind}${suffix}$`))
    .describe(
      `Deterministic id of this event: \`<payment_link_id>:<version>:${kind}${suffix ? ':<payment_id>' : ''}\`. ` +
        'A redelivered change publishes it again under the same id: deduplicate on it.',
    );

/** Fields every detail starts with (after event_id). */
const linkFields = {
  payment_link_id: z.uuid().describe('The payment link (its `id` in the REST API).'),
  entity_id: z.string().min(1).max(128).describe('The merchant the link belongs to.'),
  version: z
    .number()
    .int()
    .min(1)
    .describe("The link's version after the change (1 at creation, +1 per write): order a link's events by it."),
};

const paymentId = z.string().min(1).describe("The payment's id at the payment provider.");

export const linkStatusChangedDetailSchema = z
  .strictObject({
    event_id: eventId('link-status'),
    ...linkFields,
    status: z.enum(LINK_STATUSES).describe('The status the link moved to.'),
    previous_status: z.enum(LINK_STATUSES).nullable().describe('The status before; null when the link was just created.'),
  })
  .describe('Published when a link is created and whenever its status changes.');
export type LinkStatusChangedDetail = z.infer<typeof linkStatusChangedDetailSchema>;

export const paymentStatusChangedDetailSchema = z
  .strictObject({
    event_id: eventId('payment', ':.+'),
    ...linkFields,
    payment_id: paymentId,
    client_session_id: z.string().min(1).nullable().describe('The client session the payment was made in, when the provider said.'),
    authorization_status: z.enum(AUTHORIZATION_STATUSES).describe("The payment's status now."),
    previous_authorization_status: z
      .enum(AUTHORIZATION_STATUSES)
      .nullable()
      .describe('Its status before; null for the first status a payment is seen with.'),
  })
  .describe("Published whenever a payment's authorization status changes, late payments included.");
export type PaymentStatusChangedDetail = z.infer<typeof paymentStatusChangedDetailSchema>;

export const latePaymentDetailSchema = z
  .strictObject({
    event_id: eventId('late-payment', ':.+'),
    ...linkFields,
    payment_id: paymentId,
    link_status: z.enum(terminalStatuses).describe('The status of the link, which could no longer be paid.'),
    settlement: z
      .enum(['VOID', 'REFUND'])
      .describe('What Paylink does with the payment: VOID the authorization, or REFUND it when it was already captured.'),
  })
  .describe('Published once when a payment is authorized for a link that is already PAID, EXPIRED or CANCELLED.');
export type LatePaymentDetail = z.infer<typeof latePaymentDetailSchema>;

export const paymentMismatchDetailSchema = z
  .strictObject({
    event_id: eventId('payment-mismatch', ':.+'),
    ...linkFields,
    payment_id: z.string().min(1).describe("The payment id the provider's notification named."),
    client_session_id: z.string().min(1).nullable().describe('The client session of that payment, as the provider holds it (else as the notification said).'),
    provider: z.string().min(1).describe('The payment provider that sent the notification (its name in `/webhooks/{provider}`).'),
    authorization_status: z.enum(AUTHORIZATION_STATUSES).describe('The status the notification reported.'),
    reasons: z
      .array(z.enum(MISMATCH_REASONS))
      .min(1)
      .describe(
        '`amount` / `currency`: not the link\'s (or not what the provider confirms); `client_session`: a session the link never opened; ' +
          '`payment`: a payment the provider does not know or holds for another link; `authorization_status`: an authorization the provider does not confirm.',
      ),
    amount: z.number().int().min(0).nullable().describe('The amount of the payment as the provider confirms it, in minor units; null when the provider does not know the payment.'),
    currency: z.string().regex(/^[A-Z]{3}$/).nullable().describe('Its currency as the provider confirms it; null when the provider does not know the payment.'),
    settlement: z
      .enum(['VOID', 'REFUND', 'NONE'])
      .describe(
        'What Paylink does with the payment: VOID (or REFUND, if captured) an authorization the provider holds for this link but the link never asked for; ' +
          "NONE for another link's payment, an unknown one, or one that matches the link (only the notification was wrong).",
      ),
  })
  .describe('Published once when a provider notification does not match the link it names. The link does not change; an operator should look.');
export type PaymentMismatchDetail = z.infer<typeof paymentMismatchDetailSchema>;

export const notificationSentDetailSchema = z
  .strictObject({
    event_id: z.string().min(1).describe('Deterministic id of this event: deduplicate on it.'),
    ...linkFields,
    channel: z.enum(['EMAIL', 'SMS']).describe('Email (SES) or SMS (SNS).'),
    kind: z.enum(['INITIAL', 'REMINDER', 'RESEND']).describe('The first send, a scheduled reminder, or a resend the merchant asked for.'),
    status: z
      .enum(['SENT', 'SUPPRESSED', 'FAILED'])
      .describe("SUPPRESSED: the address is on the merchant's suppression list (an earlier bounce or complaint)."),
  })
  .describe('Published for every attempt to send the link to the customer. The address is never in the event.');
export type NotificationSentDetail = z.infer<typeof notificationSentDetailSchema>;

/** detail-type → the schema of its `detail`. */
export const EVENT_DETAIL_SCHEMAS = {
  [DETAIL_TYPES.linkStatusChanged]: linkStatusChangedDetailSchema,
  [DETAIL_TYPES.paymentStatusChanged]: paymentStatusChangedDetailSchema,
  [DETAIL_TYPES.latePayment]: latePaymentDetailSchema,
  [DETAIL_TYPES.notificationSent]: notificationSentDetailSchema,
  [DETAIL_TYPES.paymentMismatch]: paymentMismatchDetailSchema,
} as const satisfies Record<DetailType, z.ZodType>;

export function isDetailType(value: string): value is DetailType {
  return Object.hasOwn(EVENT_DETAIL_SCHEMAS, value);
}

// ── One example per detail-type (docs/events.md shows them; a test validates them) ───────────

const exampleLinkId = '3f0c9a52-8d1e-4b7a-9c41-6f2d8e5b1a07';
const examplePaymentId = 'pay_8GkQ2vT5nR';

export const EVENT_DETAIL_EXAMPLES = {
  [DETAIL_TYPES.linkStatusChanged]: {
    event_id: `${exampleLinkId}:4:link-status`,
    payment_link_id: exampleLinkId,
    entity_id: 'demo-entity',
    version: 4,
    status: 'PAID',
    previous_status: 'PAYMENT_IN_PROGRESS',
  },
  [DETAIL_TYPES.paymentStatusChanged]: {
    event_id: `${exampleLinkId}:4:payment:${examplePaymentId}`,
    payment_link_id: exampleLinkId,
    entity_id: 'demo-entity',
    version: 4,
    payment_id: examplePaymentId,
    client_session_id: 'cs_3HfW9kLm2P',
    authorization_status: 'AUTHORIZED',
    previous_authorization_status: 'PENDING',
  },
  [DETAIL_TYPES.latePayment]: {
    event_id: `${exampleLinkId}:6:late-payment:pay_Q7wX1cZ4bN`,
    payment_link_id: exampleLinkId,
    entity_id: 'demo-entity',
    version: 6,
    payment_id: 'pay_Q7wX1cZ4bN',
    link_status: 'PAID',
    settlement: 'VOID',
  },
  [DETAIL_TYPES.notificationSent]: {
    event_id: `${exampleLinkId}:2:notification:EMAIL:INITIAL`,
    payment_link_id: exampleLinkId,
    entity_id: 'demo-entity',
    version: 2,
    channel: 'EMAIL',
    kind: 'INITIAL',
    status: 'SENT',
  },
  [DETAIL_TYPES.paymentMismatch]: {
    event_id: `${exampleLinkId}:3:payment-mismatch:pay_T2mV8xK5qW`,
    payment_link_id: exampleLinkId,
    entity_id: 'demo-entity',
    version: 3,
    payment_id: 'pay_T2mV8xK5qW',
    client_session_id: 'cs_3HfW9kLm2P',
    provider: 'sandbox',
    authorization_status: 'AUTHORIZED',
    reasons: ['amount'],
    amount: 1,
    currency: 'EUR',
    settlement: 'VOID',
  },
} as const satisfies {
  [DETAIL_TYPES.linkStatusChanged]: LinkStatusChangedDetail;
  [DETAIL_TYPES.paymentStatusChanged]: PaymentStatusChangedDetail;
  [DETAIL_TYPES.latePayment]: LatePaymentDetail;
  [DETAIL_TYPES.notificationSent]: NotificationSentDetail;
  [DETAIL_TYPES.paymentMismatch]: PaymentMismatchDetail;
};
