/**
 * Webhooks to the merchant (two streams: payment link status, and payment), Standard Webhooks
 * style. Pure: which deliveries a committed change of a link makes, how a delivery is signed, and
 * what happens after each attempt (retry schedule, Retry-After, 410). Ports at the end.
 */
import { createHash, createHmac } from 'node:crypto';
import type { PaymentLink, PublicUrls } from '../link/model.js';
import { toResource } from '../link/resource.js';

export type MerchantWebhookType = 'payment_link.status_changed' | 'payment.status_changed';

/** The JSON body a merchant receives. */
export interface MerchantWebhookBody {
  id: string;
  type: MerchantWebhookType;
  created_at: string;
  /** The link's version: a receiver orders events by it and drops stale ones. */
  sequence: number;
  data: Record<string, unknown>;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  /** Sent because the merchant asked (POST …/retry), outside the schedule. */
  manual?: boolean;
}

export interface WebhookDelivery {
  event_id: string;
  payment_link_id: string;
  entity_id: string;
  type: MerchantWebhookType;
  sequence: number;
  url: string;
  headers: Array<{ name: string; values: string[] }>;
  /** The exact body, so every retry and replay sends the same bytes under the same webhook-id. */
  body: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  next_attempt_at: string | null;
  failure_reason?: string;
  created_at: string;
  updated_at: string;
  /** Optimistic-concurrency version of the delivery record. */
  version: number;
}

/** Seconds between attempts after the 1st, 2nd, … failure: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const RETRY_SCHEDULE_SECONDS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600] as const;
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** A Retry-After longer than this is capped (a misbehaving endpoint cannot park events forever). */
export const MAX_RETRY_AFTER_SECONDS = 24 * 3600;
/** How long the previous secret keeps signing after a rotation. */
export const SECRET_ROTATION_GRACE_MS = 24 * 3600 * 1000;

// ── Which deliveries a change makes ───────────────────────────────────────────────────────────

/** Deterministic and opaque: the same change always yields the same id, whatever redelivers it. */
export function webhookEventId(linkId: string, version: number, kind: string): string {
  return `msg_${createHash('sha256').update(`${linkId}:${version}:${kind}`).digest('base64url').slice(0, 27)}`;
}

export interface DeliveryTarget {
  url: string;
  headers: Array<{ name: string; values: string[] }>;
}

/** The link's own webhook, else the merchant's default URL, else nobody to tell. */
export function deliveryTarget(link: PaymentLink, merchantDefaultUrl: string | undefined): DeliveryTarget | undefined {
  if (link.webhook?.url) return { url: link.webhook.url, headers: link.webhook.headers ?? [] };
  if (merchantDefaultUrl) return { url: merchantDefaultUrl, headers: [] };
  return undefined;
}

/**
 * The merchant webhooks of one committed change (ARCHITECTURE.md's table): a link-status webhook
 * whenever the status changes (creation excepted), and a payment webhook whenever a payment's
 * authorization status changes (late payments included).
 */
export function webhooksForLinkChange(
  old: PaymentLink | undefined,
  next: PaymentLink | undefined,
  target: DeliveryTarget | undefined,
  urls: PublicUrls,
): WebhookDelivery[] {
  if (!next || !old || !target) return [];
  const created_at = next.updated_at;
  const make = (kind: string, type: MerchantWebhookType, data: Record<string, unknown>): WebhookDelivery => {
    const id = webhookEventId(next.id, next.version, kind);
    const body: MerchantWebhookBody = { id, type, created_at, sequence: next.version, data };
    return {
      event_id: id,
      payment_link_id: next.id,
      entity_id: next.entity_id,
      type,
      sequence: next.version,
      url: target.url,
      headers: target.headers,
      body: JSON.stringify(body),
      state: 'pending',
      attempts: [],
      next_attempt_at: created_at,
      created_at,
      updated_at: created_at,
      version: 1,
    };
  };
  const out: WebhookDelivery[] = [];
  if (old.status !== next.status) {
    out.push(make('link', 'payment_link.status_changed', toResource(next, urls) as unknown as Record<string, unknown>));
  }
  for (const payment of next.payments) {
    const before = old.payments.find((p) => p.id === payment.id);
    if (before?.authorization_status === payment.authorization_status) continue;
    out.push(
      make(`payment:${payment.id}`, 'payment.status_changed', {
        id: payment.id,
        payment_link_id: next.id,
        client_session_id: payment.client_session_id ?? null,
        authorization_status: payment.authorization_status,
        amount: payment.amount ?? next.amount,
        currency: payment.currency ?? next.currency,
        created_at: payment.created_at ?? next.updated_at,
      }),
    );
  }
  return out;
}

// ── Signing (Standard Webhooks) ───────────────────────────────────────────────────────────────

export function decodeSecret(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) throw new Error('webhook secrets start with whsec_');
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

/** `v1,<base64 HMAC-SHA256 of id.timestamp.body>` for each secret, space-separated. */
export function signatureHeader(secrets: string[], id: string, timestampSeconds: number, body: string): string {
  return secrets
    .map((s) => `v1,${createHmac('sha256', decodeSecret(s)).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64')}`)
    .join(' ');
}

/** The request headers of one attempt: the merchant's own headers, then ours (ours win). */
export function deliveryHeaders(delivery: WebhookDelivery, secrets: string[], now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers: Record<string, string> = {};
  for (const h of delivery.headers) headers[h.name.toLowerCase()] = h.values.join(', ');
  return {
    ...headers,
    'content-type': 'application/json',
    'user-agent': 'Paylink-Webhooks/1.0',
    'webhook-id': delivery.event_id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, delivery.event_id, timestamp, delivery.body),
  };
}

// ── After an attempt ──────────────────────────────────────────────────────────────────────────

export interface AttemptResult {
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  /** The response's Retry-After header, if any (seconds or an HTTP date). */
  retry_after?: string | undefined;
}

export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * The delivery after one attempt: 2xx delivers; 410 fails it for good (the endpoint is gone);
 * anything else is retried on the schedule, never sooner than the endpoint's Retry-After, and
 * fails once the schedule is used up. A manual attempt does not consume the schedule.
 */
export function afterAttempt(
  delivery: WebhookDelivery,
  result: AttemptResult,
  now: Date,
  options: { manual?: boolean; schedule?: readonly number[] } = {},
): WebhookDelivery {
  const schedule = options.schedule ?? RETRY_SCHEDULE_SECONDS;
  const attempt: DeliveryAttempt = {
    at: now.toISOString(),
    status_code: result.status_code,
    duration_ms: result.duration_ms,
    error: result.error,
    ...(options.manual ? { manual: true } : {}),
  };
  const base = { ...delivery, attempts: [...delivery.attempts, attempt], updated_at: now.toISOString() };
  const { failure_reason: _previous, ...cleared } = base;
  const ok = result.status_code !== null && result.status_code >= 200 && result.status_code < 300;
  if (ok) return { ...cleared, state: 'delivered', next_attempt_at: null };
  if (result.status_code === 410) {
    return { ...base, state: 'failed', next_attempt_at: null, failure_reason: 'the endpoint answered 410 Gone: no more retries' };
  }
  if (options.manual) return { ...base, state: delivery.state === 'pending' ? 'pending' : 'failed' };

  const scheduled = base.attempts.filter((a) => !a.manual).length;
  const wait = schedule[scheduled - 1];
  if (wait === undefined) {
    return { ...base, state: 'failed', next_attempt_at: null, failure_reason: `no success after ${scheduled} attempts` };
  }
  const retryAfter = Math.min(parseRetryAfter(result.retry_after, now) ?? 0, MAX_RETRY_AFTER_SECONDS);
  const delaySeconds = Math.max(wait, retryAfter);
  return { ...base, state: 'pending', next_attempt_at: new Date(now.getTime() + delaySeconds * 1000).toISOString() };
}

/** What the delivery log shows (the body and the merchant's headers stay internal). */
export function deliveryView(d: WebhookDelivery) {
  return {
    event_id: d.event_id,
    type: d.type,
    sequence: d.sequence,
    url: d.url,
    state: d.state,
    created_at: d.created_at,
    next_attempt_at: d.next_attempt_at,
    ...(d.failure_reason ? { failure_reason: d.failure_reason } : {}),
    attempts: d.attempts.map((a) => ({ at: a.at, status_code: a.status_code, duration_ms: a.duration_ms, error: a.error, ...(a.manual ? { manual: true } : {}) })),
  };
}

