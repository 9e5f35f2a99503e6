/**
 * The schemas of the messages on Paylink's own queues, checked at the consumer's edge before any
 * domain code sees them. zod/mini: the consumers' bundles carry these few checks, not all of zod.
 */
import * as z from 'zod/mini';
import { CHANNELS, type NotificationRequest } from '../domain/notifications/notifications.js';
import type { DeliveryMessage, ProviderEventMessage } from '../domain/ports.js';

export const providerEventMessageSchema = z.object({
  provider: z.string().check(z.minLength(1)),
  raw_body: z.string(),
  received_at: z.string(),
});

export const deliveryMessageSchema = z.object({
  event_id: z.string().check(z.minLength(1)),
  payment_link_id: z.string().check(z.minLength(1)),
  not_before: z.optional(z.string()),
  manual: z.optional(z.boolean()),
});

export const notificationRequestSchema = z.object({
  id: z.string().check(z.minLength(1)),
  payment_link_id: z.string().check(z.minLength(1)),
  channel: z.enum(CHANNELS),
  kind: z.enum(['INITIAL', 'REMINDER', 'RESEND']),
});

// The schemas describe exactly the messages the senders write: a compile-time check both ways,
// with nothing left in the bundle (a type that fails to resolve to true breaks `tsc`).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
export type SchemasMatchPorts = [
  Expect<Same<z.infer<typeof providerEventMessageSchema>, ProviderEventMessage>>,
  Expect<Same<z.infer<typeof deliveryMessageSchema>, DeliveryMessage>>,
  Expect<Same<z.infer<typeof notificationRequestSchema>, NotificationRequest>>,
];
