/**
 * Bounces and complaints: SES publishes them (configuration set event destination) to SNS, SNS to
 * the feedback queue, and the feedback handler puts the addresses on the merchant's suppression
 * list. Only permanent bounces and complaints suppress: a transient bounce (mailbox full, greylisted)
 * may well succeed next time.
 *
 * The merchant is found again from the email's message tags, which SES copies into `mail.tags`
 * (each value an array). Identity-level feedback notifications (`notificationType` instead of
 * `eventType`) carry no tags, so they cannot be attributed: sends must name the configuration set.
 *
 * SES tag values allow only ASCII letters, digits, `_` and `-`; other values (a notification id
 * with `:`, an entity id with a dot) are sent base64url-encoded behind a prefix, reversibly.
 */
import * as z from 'zod/mini';
import type { Clock } from '../ports.js';
import type { SuppressionList } from '../ports.js';

// ── Message tags ──────────────────────────────────────────────────────────────────────────────

/** The tags the notifier puts on every email (see processNotification). */
export const FEEDBACK_TAGS = { entity: 'entity_id', link: 'payment_link_id', notification: 'notification_id' } as const;

const TAG_SAFE = /^[A-Za-z0-9_-]{1,256}$/;
const ENCODED = 'b64_';
export const MAX_TAG_LENGTH = 256;

export class InvalidTagError extends Error {
  override readonly name = 'InvalidTagError';
}

/** A value SES accepts as a message tag value; decodeTagValue gives the original back. */
export function encodeTagValue(value: string): string {
  if (TAG_SAFE.test(value) && !value.startsWith(ENCODED)) return value;
  const encoded = `${ENCODED}${Buffer.from(value, 'utf8').toString('base64url')}`;
  if (encoded.length > MAX_TAG_LENGTH) throw new InvalidTagError(`tag value too long for SES once encoded (${encoded.length} > ${MAX_TAG_LENGTH})`);
  return encoded;
}

export function decodeTagValue(value: string): string {
  return value.startsWith(ENCODED) ? Buffer.from(value.slice(ENCODED.length), 'base64url').toString('utf8') : value;
}

export function assertTagName(name: string): void {
  if (!TAG_SAFE.test(name)) throw new InvalidTagError(`SES tag names allow only ASCII letters, digits, _ and - (got ${JSON.stringify(name)})`);
}

// ── The SES event, as SNS delivers it ─────────────────────────────────────────────────────────

const recipient = z.looseObject({ emailAddress: z.string() });

const bounceSchema = z.looseObject({
  bounceType: z.string(),
  bounceSubType: z.optional(z.string()),
  bouncedRecipients: z.array(z.extend(recipient, { action: z.optional(z.string()), status: z.optional(z.string()), diagnosticCode: z.optional(z.string()) })),
  timestamp: z.optional(z.string()),
  feedbackId: z.optional(z.string()),
  reportingMTA: z.optional(z.string()),
});

const complaintSchema = z.looseObject({
  complainedRecipients: z.array(recipient),
  timestamp: z.optional(z.string()),
  feedbackId: z.optional(z.string()),
  complaintFeedbackType: z.optional(z.string()),
  complaintSubType: z.optional(z.nullable(z.string())),
  userAgent: z.optional(z.string()),
  arrivalDate: z.optional(z.string()),
});

const mailSchema = z.looseObject({
  timestamp: z.optional(z.string()),
  messageId: z.optional(z.string()),
  source: z.optional(z.string()),
  destination: z.optional(z.array(z.string())),
  tags: z.optional(z.record(z.string(), z.array(z.string()))),
});

const eventSchema = z.looseObject({
  eventType: z.optional(z.string()),
  notificationType: z.optional(z.string()),
  mail: mailSchema,
  bounce: z.optional(bounceSchema),
  complaint: z.optional(complaintSchema),
});

export type SesBounce = z.infer<typeof bounceSchema>;
export type SesComplaint = z.infer<typeof complaintSchema>;
export type SesMail = z.infer<typeof mailSchema>;
/** An SES event record (event publishing) or feedback notification (identity notifications). */
export type SesFeedbackEvent = z.infer<typeof eventSchema>;

/** The SNS message envelope SQS receives (unless the subscription uses raw message delivery). */
export interface SnsEnvelope {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
  UnsubscribeURL?: string;
}

export class InvalidFeedbackError extends Error {
  override readonly name = 'InvalidFeedbackError';
}

export interface Suppression {
  address: string;
  reason: string;
}

export interface FeedbackDecision {
  /** eventType (or notificationType): Bounce, Complaint, Delivery, ... */
  type: string;
  entity_id?: string;
  payment_link_id?: string;
  notification_id?: string;
  /** SES's message id of the email the feedback is about. */
  message_id?: string;
  /** When the bounce or complaint happened, per SES. */
  at?: Date;
  /** What to put on entity_id's suppression list: empty when nothing is. */
  suppress: Suppression[];
  /** Why nothing is suppressed, when nothing is; `detail` says it in words. */
  ignored?: IgnoredFeedback;
  detail?: string;
}

/**
 * transient_bounce and not_feedback are normal; no_recipient and no_entity_tag mean a bounce or
 * complaint that cannot be acted on (an alarm-worthy configuration problem).
 */
export type IgnoredFeedback = 'transient_bounce' | 'not_feedback' | 'no_recipient' | 'no_entity_tag';

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidFeedbackError(`${what} is not JSON`);
  }
}

/** The SES event inside an SNS envelope, or the SES event itself (raw message delivery). */
function unwrap(body: string): unknown {
  const outer = parseJson(body, 'the message body');
  if (outer && typeof outer === 'object' && 'Type' in outer) {
    const envelope = outer as Partial<SnsEnvelope> & { Type: unknown };
    if (envelope.Type === 'Notification' && typeof envelope.Message === 'string') return parseJson(envelope.Message, 'the SNS Message');
    throw new InvalidFeedbackError(`an SNS ${String(envelope.Type)} message is not SES feedback`);
  }
  return outer;
}

/** `jane@example.com`, also from `"Jane" <jane@example.com>`. */
function bareAddress(value: string): string | undefined {
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(value);
  const address = (angle?.[1] ?? value).trim();
  return /^[^\s@]+@[^\s@]+$/.test(address) ? address : undefined;
}

function uniqueAddresses(recipients: { emailAddress: string }[]): string[] {
  const seen = new Map<string, string>();
  for (const r of recipients) {
    const address = bareAddress(r.emailAddress);
    if (address && !seen.has(address.toLowerCase())) seen.set(address.toLowerCase(), address);
  }
  return [...seen.values()];
}

function when(timestamp: string | undefined): Date | undefined {
  const ms = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

function tag(mail: SesMail, name: string): string | undefined {
  const value = mail.tags?.[name]?.[0];
  return value === undefined ? undefined : decodeTagValue(value);
}

/** Which addresses to suppress, for which merchant, from one SQS message body of the feedback queue. */
export function parseSesFeedback(body: string): FeedbackDecision {
  const parsed = z.safeParse(eventSchema, unwrap(body));
  if (!parsed.success) throw new InvalidFeedbackError(`not an SES event: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  const event = parsed.data;
  const type = event.eventType ?? event.notificationType;
  if (!type) throw new InvalidFeedbackError('not an SES event: neither eventType nor notificationType');

  const entity = tag(event.mail, FEEDBACK_TAGS.entity);
  const link = tag(event.mail, FEEDBACK_TAGS.link);
  const notification = tag(event.mail, FEEDBACK_TAGS.notification);
  const base: FeedbackDecision = {
    type,
    ...(entity !== undefined ? { entity_id: entity } : {}),
    ...(link !== undefined ? { payment_link_id: link } : {}),
    ...(notification !== undefined ? { notification_id: notification } : {}),
    ...(event.mail.messageId ? { message_id: event.mail.messageId } : {}),
    suppress: [],
  };

  let suppress: Suppression[];
  let at: Date | undefined;
  if (type === 'Bounce') {
    if (!event.bounce) throw new InvalidFeedbackError('a Bounce event without its bounce object');
    at = when(event.bounce.timestamp);
    if (event.bounce.bounceType !== 'Permanent') {
      return { ...base, ...(at ? { at } : {}), ignored: 'transient_bounce', detail: `${event.bounce.bounceType} bounce: not suppressed` };
    }
    const reason = `bounce/Permanent/${event.bounce.bounceSubType ?? 'General'}`;
    suppress = uniqueAddresses(event.bounce.bouncedRecipients).map((address) => ({ address, reason }));
  } else if (type === 'Complaint') {
    if (!event.complaint) throw new InvalidFeedbackError('a Complaint event without its complaint object');
    at = when(event.complaint.timestamp);
    const reason = `complaint/${event.complaint.complaintFeedbackType ?? event.complaint.complaintSubType ?? 'unspecified'}`;
    suppress = uniqueAddresses(event.complaint.complainedRecipients).map((address) => ({ address, reason }));
  } else {
    return { ...base, ignored: 'not_feedback', detail: `${type} events are not acted on` };
  }

  const dated = { ...base, ...(at ? { at } : {}) };
  if (suppress.length === 0) return { ...dated, ignored: 'no_recipient', detail: 'no recipient address in the event' };
  if (entity === undefined) {
    return {
      ...dated,
      ignored: 'no_entity_tag',
      detail: `no ${FEEDBACK_TAGS.entity} tag (identity notifications carry no tags: send with the configuration set)`,
    };
  }
  return { ...dated, suppress };
}

export interface FeedbackDeps {
  suppressions: SuppressionList;
  clock: Clock;
}

/**
 * Applies one feedback message: the addresses go on the merchant's suppression list, dated when
 * SES saw the bounce or complaint (else now). Idempotent: suppressing twice changes nothing that matters.
 */
export async function applySesFeedback(decision: FeedbackDecision, deps: FeedbackDeps): Promise<FeedbackDecision> {
  const at = decision.at ?? deps.clock.now();
  for (const s of decision.suppress) {
    await deps.suppressions.suppress(decision.entity_id!, s.address, s.reason, at);
  }
  return decision;
}
