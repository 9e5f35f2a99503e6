/**
 * One schema per request shape (STYLE.md §4). Handlers validate with these, the TypeScript types
 * are inferred from them, and docs/openapi.json is generated from them (docs/generate-openapi.ts).
 * Field names and nesting follow the Purse payment-links API (reference 003); unknown fields are
 * rejected by name so that a typo never silently drops data.
 */
import { z } from 'zod';
import { MAX_EXPIRY_DAYS } from './model.js';
import { AUTHORIZATION_STATUSES, LINK_STATUSES } from './status.js';

const text = (max = 255) => z.string().min(1).max(max);
const isoDateTime = () => z.iso.datetime({ offset: true });
const minorUnits = () => z.number({ error: 'must be an integer amount in minor units' }).int().min(0).max(Number.MAX_SAFE_INTEGER);
const e164 = () => z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 phone number such as +33612345678');

export const addressSchema = z.strictObject({
  company_name: text().optional(),
  gender: text(32).optional(),
  first_name: text().optional(),
  middle_name: text().optional(),
  last_name: text().optional(),
  address_lines: z.array(text()).max(5).optional(),
  city: text().optional(),
  postal_code: text(32).optional(),
  country_code: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code').optional(),
  province_code: text(16).optional(),
  phone_number: text(32).optional(),
  mobile_phone_number: e164().optional(),
  work_phone_number: text(32).optional(),
  delivery_point_name: text().optional(),
});

export const itemLineSchema = z.strictObject({
  type: text(32),
  sku_reference: text().optional(),
  name: text(),
  brand: text().optional(),
  unit_gross_price: minorUnits().optional(),
  net_amount: minorUnits().optional(),
  discount_amount: minorUnits().optional(),
  quantity: z.number().int().min(1).optional(),
  tax_amount: minorUnits().optional(),
  tax_rate: z.number().min(0).max(100).optional(),
  seller_reference: text().optional(),
  seller_name: text().optional(),
  is_marketplace_seller: z.boolean().optional(),
  categories: z.array(text()).max(20).optional(),
  product_uri: z.url().optional(),
  image_uri: z.url().optional(),
});

export const shipmentSchema = z.strictObject({
  net_amount: minorUnits().optional(),
  delivery_type: text(64).optional(),
  delivery_quickness: text(64).optional(),
  delivery_method_reference: text().optional(),
  estimated_delivery_date_time: isoDateTime().optional(),
  shipping_address: addressSchema.optional(),
  item_lines: z.array(itemLineSchema).max(500).optional(),
});

export const orderSchema = z.strictObject({
  reference: text(),
  net_amount: minorUnits().optional(),
  discount_amount: minorUnits().optional(),
  tax_amount: minorUnits().optional(),
  billing_address: addressSchema.optional(),
  shipments: z.array(shipmentSchema).max(50).optional(),
  discounts: z
    .array(
      z.strictObject({
        net_amount: minorUnits().optional(),
        tax_amount: minorUnits().optional(),
        coupon_code: text().optional(),
        seller_reference: text().optional(),
      }),
    )
    .max(50)
    .optional(),
  additional_data: z.record(z.string(), z.unknown()).optional(),
  marketplace_sellers: z
    .array(
      z.strictObject({
        name: text(),
        reference: text(),
        total_sales_count: z.number().int().min(0).optional(),
        total_sales_amount: minorUnits().optional(),
        registration_date_time: isoDateTime().optional(),
        last_update_date_time: isoDateTime().optional(),
      }),
    )
    .max(50)
    .optional(),
});

export const customerAccountSchema = z.strictObject({
  creation_date_time: isoDateTime().optional(),
  update_date_time: isoDateTime().optional(),
  password_update_date_time: isoDateTime().optional(),
  purchase_count_last_day: z.number().int().min(0).optional(),
  purchase_count_last_six_months: z.number().int().min(0).optional(),
  purchase_count_last_year: z.number().int().min(0).optional(),
  different_card_count_last_day: z.number().int().min(0).optional(),
  authentication_method: text(64).optional(),
  authentication_date_time: isoDateTime().optional(),
  age_indicator: text(64).optional(),
  change_indicator: text(64).optional(),
  password_change_indicator: text(64).optional(),
  trust_indicator: text(64).optional(),
  purchase_total_amount: minorUnits().optional(),
  first_purchase_date_time: isoDateTime().optional(),
  prior_purchase_date_time: isoDateTime().optional(),
});

export const customerSchema = z.strictObject({
  reference: text().optional(),
  type: z.enum(['PERSON', 'COMPANY']).optional(),
  email: z.email().max(254).optional(),
  gender: text(32).optional(),
  first_name: text().optional(),
  middle_name: text().optional(),
  last_name: text().optional(),
  national_identifier: text().optional(),
  birth_date: z.iso.date().optional(),
  ip_address: z.union([z.ipv4(), z.ipv6()]).optional(),
  locale: z
    .string()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as fr-FR')
    .optional(),
  mobile_phone_number: e164().optional(),
  account: customerAccountSchema.optional(),
});

export const CHALLENGE_INDICATORS = [
  'NO_PREFERENCE',
  'NO_CHALLENGE_REQUESTED',
  'CHALLENGE_REQUESTED',
  'CHALLENGE_REQUESTED_BY_MERCHANT',
  'CHALLENGE_REQUESTED_BY_MANDATE',
] as const;

export const threeDsOptionsSchema = z.strictObject({
  challenge_indicator: z.enum(CHALLENGE_INDICATORS).optional(),
  challenge_exemption: text(64).optional(),
});

/** A header name as RFC 9110 allows it; values must not carry CR/LF (header injection). */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'must be a valid HTTP header name');
const headerValue = z.string().max(1024).regex(/^[^\r\n\0]*$/, 'must not contain line breaks');

export const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  headers: z
    .array(z.strictObject({ name: headerName, values: z.array(headerValue).min(1).max(10) }))
    .max(20)
    .optional(),
});


export const createPaymentLinkSchema = z.strictObject({
  entity_id: text(128),
  amount: minorUnits().describe(
    'Amount in the currency minor unit (4299 is 42.99 EUR). 0 only with allow_future_usage: true.',
  ),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'),
  shopper_redirection_url: z.url({ protocol: /^https?$/ }).max(2048),
  order: orderSchema,
  expires_at: isoDateTime().optional().describe(`In the future, at most ${MAX_EXPIRY_DAYS} days ahead.`),
  expiration_in_minutes: z
    .number()
    .int()
    .min(1)
    .max(MAX_EXPIRY_DAYS * 24 * 60)
    .optional()
    .describe('IXOPAY option; not together with expires_at.'),
  capture_mode: z.enum(['AUTOMATIC', 'MANUAL']).optional(),
  customer: customerSchema.optional(),
  three_ds_authentication_options: threeDsOptionsSchema.optional(),
  webhook: webhookSchema.optional(),
  allow_future_usage: z.boolean().optional(),
  send_by_email: z.boolean().optional(),
  send_by_sms: z.boolean().optional(),
  reminder_schedule: z
    .array(z.string().max(32))
    .max(10)
    .optional()
    .describe('When to remind, as ISO 8601 durations before expiry (e.g. ["PT24H","PT1H"]); else the merchant default.'),
});
export type CreatePaymentLinkInput = z.infer<typeof createPaymentLinkSchema>;

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export const listPaymentLinksQuerySchema = z.strictObject({
  status: z.enum(LINK_STATUSES).optional(),
  order_reference: text().optional(),
  limit: z
    .string()
    .regex(/^\d+$/, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_PAGE_SIZE))
    .optional(),
  cursor: z.string().min(1).max(2048).optional(),
});
export type ListPaymentLinksQuery = z.infer<typeof listPaymentLinksQuerySchema>;

export const tokenRequestSchema = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().max(256).optional(),
  client_secret: z.string().max(1024).optional(),
  scope: z.string().max(1024).optional(),
});

// ---- Responses (documentation and contract tests; handlers build them with link/resource.ts) ----

const linkRef = z.object({ href: z.url(), method: z.enum(['GET', 'POST']) });

export const paymentLinkResourceSchema = z.strictObject({
  id: z.uuid(),
  version: z.number().int().min(1),
  entity_id: z.string(),
  status: z.enum(LINK_STATUSES),
  amount: minorUnits(),
  currency: z.string(),
  shopper_redirection_url: z.url(),
  capture_mode: z.enum(['AUTOMATIC', 'MANUAL']),
  expires_at: isoDateTime(),
  links: z.strictObject({ self: linkRef, customer_url: linkRef, cancel: linkRef }),
  customer: customerSchema.optional(),
  order: orderSchema,
  allow_future_usage: z.boolean(),
  payments: z.array(z.object({ id: z.string(), authorization_status: z.enum(AUTHORIZATION_STATUSES) })),
  client_sessions: z.array(z.object({ id: z.string(), status: z.string() })),
  created_at: isoDateTime(),
  updated_at: isoDateTime(),
});
export type PaymentLinkResource = z.infer<typeof paymentLinkResourceSchema>;

export const paymentLinkListSchema = z.strictObject({
  items: z.array(paymentLinkResourceSchema),
  next_cursor: z.string().nullable(),
});

export const tokenResponseSchema = z.strictObject({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
});

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
});
