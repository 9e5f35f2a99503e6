/**
 * One schema per request shape (STYLE.md §4). Handlers validate with these, the TypeScript types
 * are inferred from them, and docs/openapi.json is generated from them (docs/generate-openapi.ts).
 * Field names and nesting follow the Purse payment-links API (reference 003); unknown fields are
 * rejected by name so that a typo never silently drops data. Text that may reach an email, an SMS
 * or a page refuses control and bidi characters (text-hygiene.ts); phone numbers are checked with
 * the one phone rule (phone.ts) and stored in E.164.
 */
import { z } from 'zod';
import { PHONE_NUMBER_RULE, toE164 } from '../phone.js';
import { AUTHORIZATION_STATUSES, LINK_STATUSES } from './status.js';
import { MAX_EXPIRY_DAYS } from './model.js';
import { plainText, text } from './text-schemas.js';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, listPaymentLinksQuerySchema, type ListPaymentLinksQuery } from './list-query.js';

/** A URL whose text is checked first: z.url() would quietly drop a TAB, CR or LF instead of refusing it. */
const checkedUrl = (input: z.ZodString, url: z.ZodURL) => input.superRefine(plainText).meta({ format: 'uri' }).pipe(url);
const httpUrl = () => checkedUrl(z.string().max(2048), z.url({ protocol: /^https?$/ }));
const isoDateTime = () => z.iso.datetime({ offset: true });
const minorUnits = () => z.number({ error: 'must be an integer amount in minor units' }).int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A phone number in international form (spaces, dashes, dots and parentheses allowed), stored in E.164. */
const phoneNumber = () =>
  z
    .string()
    .max(40)
    .superRefine((value, ctx) => {
      if (toE164(value) === undefined) ctx.addIssue({ code: 'custom', message: PHONE_NUMBER_RULE });
    })
    .overwrite((value) => toE164(value) ?? value)
    .describe('International form ("+", country code, number; spaces, dashes, dots and parentheses allowed); stored and returned in E.164, such as +33612345678.');

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
  mobile_phone_number: phoneNumber().optional(),
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
  product_uri: checkedUrl(z.string(), z.url()).optional(),
  image_uri: checkedUrl(z.string(), z.url()).optional(),
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
  mobile_phone_number: phoneNumber().optional(),
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

/** A header name as RFC 9110 allows it; values carry no control character (CR/LF would inject headers). */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'must be a valid HTTP header name');
const headerValue = z.string().max(1024).superRefine(plainText);

export const webhookSchema = z.strictObject({
  url: httpUrl(),
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
  shopper_redirection_url: httpUrl(),
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
