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
} as const satisfies {
  [DETAIL_TYPES.linkStatusChanged]: LinkStatusChangedDetail;
  [DETAIL_TYPES.paymentStatusChanged]: PaymentStatusChangedDetail;
  [DETAIL_TYPES.latePayment]: LatePaymentDetail;
  [DETAIL_TYPES.notificationSent]: NotificationSentDetail;
};
