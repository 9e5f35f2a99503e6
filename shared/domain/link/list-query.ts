/**
 * The query of GET /payment/v2/payment-links (status, order_reference, limit, cursor), apart from
 * the create schema so that the list function's bundle carries only what it checks.
 */
import { z } from 'zod';
import { LINK_STATUSES } from './status.js';
import { text } from './text-schemas.js';

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
