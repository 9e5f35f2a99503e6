/**
 * The sandbox PSP's outgoing webhooks, signed the Standard Webhooks way
 * (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the base64 part
 * of a `whsec_` secret.
 *
 * The signing is written here independently of Paylink's verifier (shared/providers/
 * sandbox-provider.ts) on purpose: this is the "external" side, and tests that check one against
 * the other would prove nothing if both used the same code.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/logger.js';

const SECRET_PREFIX = 'whsec_';

/** A fresh secret in the Standard Webhooks format, for wiring the sandbox. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

export function decodeWebhookSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error('webhookSecret must be "whsec_" followed by base64');
  }
  return Buffer.from(encoded, 'base64');
}

/** A type alias, not an interface, so it can be passed where a header record is expected. */
export type SignedHeaders = {
  'content-type': 'application/json';
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export function signedHeaders(key: Buffer, id: string, timestamp: Date, body: string): SignedHeaders {
  const seconds = String(Math.floor(timestamp.getTime() / 1000));
  const mac = createHmac('sha256', key).update(`${id}.${seconds}.${body}`, 'utf8').digest('base64');
  return { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': seconds, 'webhook-signature': `v1,${mac}` };
}

/** Delivery progress of one event, kept on the event so tests can inspect it. */
export interface WebhookDelivery {
  attempts: number;
  delivered: boolean;
  /** HTTP status of the last attempt; undefined after a connection error. */
  last_status?: number;
  /** Set once retries are exhausted (or the PSP closed) without a 2xx. */
  gave_up: boolean;
}

export interface WebhookSenderOptions {
  url: () => string;
  key: Buffer;
  clock: () => Date;
  logger: Logger;
  maxAttempts: number;
  firstBackoffMs: number;
  /** Per attempt. */
  timeoutMs: number;
}

export class WebhookSender {
  /** Events of one payment go out one after the other, so a receiver sees CHALLENGE_REQUIRED
   * before AUTHORIZED unless a delivery of the first is exhausted (real PSPs promise no order,
   * and Paylink must cope; tests reorder on purpose with `resend`). */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly options: WebhookSenderOptions) {}

  /** Queues a delivery with retries; returns at once. `order` groups events that go out in sequence. */
  enqueue(order: string, event: { id: string; body: string }, delivery: WebhookDelivery): void {
    const previous = this.chains.get(order) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(event, delivery));
    this.chains.set(order, next);
    void next.finally(() => {
      if (this.chains.get(order) === next) this.chains.delete(order);
    });
  }

  /** One signed POST with a fresh timestamp; resolves to the HTTP status, rejects on a connection error. */
  async sendOnce(event: { id: string; body: string }): Promise<number> {
    const headers = signedHeaders(this.options.key, event.id, this.options.clock(), event.body);
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs)]);
    const res = await fetch(this.options.url(), { method: 'POST', headers: { ...headers }, body: event.body, signal, redirect: 'manual' });
    await res.body?.cancel(); // release the connection; the receiver's answer body is not needed
    return res.status;
  }

  /** Resolves once every queued delivery has finished (delivered or given up). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    for (const sleep of this.sleeps) {
      clearTimeout(sleep.timer);
      sleep.wake();
    }
    this.sleeps.clear();
  }

  private async deliver(event: { id: string; body: string }, delivery: WebhookDelivery): Promise<void> {
    const { maxAttempts, firstBackoffMs, logger } = this.options;
    for (let attempt = 1; attempt <= maxAttempts && !this.closed; attempt++) {
      delivery.attempts = attempt;
      try {
        const status = await this.sendOnce(event);
        delivery.last_status = status;
        if (status >= 200 && status < 300) {
          delivery.delivered = true;
          return;
        }
        logger.warn('sandbox psp: webhook rejected', { event_id: event.id, attempt, status });
      } catch (error) {
        delete delivery.last_status;
        if (this.closed) break;
        logger.warn('sandbox psp: webhook delivery failed', { event_id: event.id, attempt, error });
      }
      if (attempt < maxAttempts) await this.sleep(firstBackoffMs * 2 ** (attempt - 1));
    }
    delivery.gave_up = true;
    if (!this.closed) logger.error('sandbox psp: webhook not delivered, giving up', { event_id: event.id, attempts: delivery.attempts });
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        wake: resolve,
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
      };
      this.sleeps.add(entry);
    });
  }
}
