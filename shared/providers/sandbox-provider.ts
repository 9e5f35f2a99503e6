/**
 * Paylink's adapter for the built-in sandbox PSP (sandbox/psp/), over its HTTP API like any real
 * provider. Its webhooks are signed the Standard Webhooks way: `webhook-id`, `webhook-timestamp`
 * (unix seconds) and `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` entries (several during a secret rotation), keyed with the base64 part of
 * a `whsec_` secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import { AUTHORIZATION_STATUSES } from '../domain/link/status.js';
import {
  CLIENT_SESSION_STATUSES,
  ProviderWebhookError,
  type ClientSessionRequest,
  type ClientSessionState,
  type PaymentProvider,
  type ProviderClientSession,
  type ProviderEvent,
  type ProviderPayment,
  type WebhookVerification,
} from './payment-provider.js';

export interface SandboxProviderOptions {
  /** Root of the PSP, e.g. http://localhost:3000/sandbox-psp (its API is under /v1). A function
   * when the URL is only known once the sandbox server listens. */
  baseUrl: string | (() => string);
  apiKey: string;
  /** "whsec_" + base64, shared with the PSP. */
  webhookSecret: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

/** A non-2xx answer from the PSP's API. The message names the call and status, never a secret. */
export class SandboxProviderHttpError extends Error {
  override readonly name = 'SandboxProviderHttpError';
  constructor(
    readonly status: number,
    readonly operation: string,
    /** The PSP's error code (e.g. `already_captured`), when it sent one. */
    readonly code?: string,
  ) {
    super(`sandbox provider: ${operation} failed with HTTP ${status}${code ? ` (${code})` : ''}`);
  }
}

/** Timestamps further than this from our clock, either way, are refused (replay protection). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const isoDate = z.iso.datetime({ offset: true });

const paymentSchema = z.object({
  id: z.string().check(z.minLength(1)),
  client_session_id: z.string().check(z.minLength(1)),
  payment_link_id: z.string().check(z.minLength(1)),
  authorization_status: z.enum(AUTHORIZATION_STATUSES),
  amount: z.int().check(z.minimum(0)),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  captured: z.boolean(),
  created_at: isoDate,
}) satisfies z.ZodMiniType<ProviderPayment>;

const webhookSchema = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.literal('payment.updated'),
  created_at: isoDate,
  data: z.object({ payment: paymentSchema }),
});

const createdSessionSchema = z.object({ id: z.string().check(z.minLength(1)), redirect_url: z.url({ protocol: /^https?$/ }) });

const sessionStateSchema = z.object({
  id: z.string().check(z.minLength(1)),
  payment_link_id: z.string().check(z.minLength(1)),
  status: z.enum(CLIENT_SESSION_STATUSES),
  payment: z.optional(z.object({ id: z.string().check(z.minLength(1)), authorization_status: z.enum(AUTHORIZATION_STATUSES) })),
}) satisfies z.ZodMiniType<ClientSessionState>;

const errorBodySchema = z.object({ error: z.object({ code: z.string() }) });

function decodeSecret(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : '';
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error('sandbox provider: webhookSecret must be "whsec_" followed by base64');
  }
  return Buffer.from(encoded, 'base64');
}

/** Strict base64 decoding of a signature candidate; undefined when it is not base64 at all. */
function decodeSignature(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  return Buffer.from(value, 'base64');
}

export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  private readonly key: Buffer;
  private readonly baseUrl: () => string;

  constructor(private readonly options: SandboxProviderOptions) {
    this.key = decodeSecret(options.webhookSecret);
    const base = options.baseUrl;
    this.baseUrl = typeof base === 'string' ? () => base : base;
  }

  async createClientSession(request: ClientSessionRequest): Promise<ProviderClientSession> {
    const body = await this.call('POST', '/v1/client-sessions', 'create client session', request);
    const { id, redirect_url } = this.parse(createdSessionSchema, body, 'create client session');
    return { id, redirect_url };
  }

  async getClientSession(id: string): Promise<ClientSessionState> {
    const body = await this.call('GET', `/v1/client-sessions/${encodeURIComponent(id)}`, 'get client session');
    return this.parse(sessionStateSchema, body, 'get client session');
  }

  async getPayment(id: string): Promise<ProviderPayment | undefined> {
    try {
      const body = await this.call('GET', `/v1/payments/${encodeURIComponent(id)}`, 'get payment');
      return this.parse(paymentSchema, body, 'get payment');
    } catch (error) {
      if (error instanceof SandboxProviderHttpError && error.status === 404) return undefined;
      throw error;
    }
  }

  async voidPayment(id: string): Promise<void> {
    await this.call('POST', `/v1/payments/${encodeURIComponent(id)}/void`, 'void payment', {});
  }

  async refundPayment(id: string, amount: number): Promise<void> {
    await this.call('POST', `/v1/payments/${encodeURIComponent(id)}/refund`, 'refund payment', { amount });
  }

  verifyWebhook(rawBody: string, headers: Record<string, string | undefined>, now: Date): WebhookVerification {
    const id = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    const signatures = headers['webhook-signature'];
    if (!id) return { ok: false, reason: 'missing webhook-id header' };
    if (!timestamp) return { ok: false, reason: 'missing webhook-timestamp header' };
    if (!signatures) return { ok: false, reason: 'missing webhook-signature header' };

    if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'webhook-timestamp is not unix seconds' };
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const sentSeconds = Number(timestamp);
    if (nowSeconds - sentSeconds > WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: 'webhook-timestamp too old' };
    if (sentSeconds - nowSeconds > WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: 'webhook-timestamp in the future' };

    const expected = createHmac('sha256', this.key).update(`${id}.${timestamp}.${rawBody}`, 'utf8').digest();
    const candidates = signatures
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => decodeSignature(entry.slice('v1,'.length)));
    if (candidates.length === 0) return { ok: false, reason: 'no v1 signature in webhook-signature' };
    // Check every candidate (no early exit), each in constant time; a malformed one never matches.
    let match = false;
    for (const candidate of candidates) {
      if (candidate && candidate.length === expected.length && timingSafeEqual(candidate, expected)) match = true;
    }
    if (match) return { ok: true };
    return { ok: false, reason: candidates.every((c) => c === undefined) ? 'webhook-signature is not base64' : 'signature mismatch' };
  }

  parseWebhook(rawBody: string): ProviderEvent {
    let input: unknown;
    try {
      input = JSON.parse(rawBody);
    } catch {
      throw new ProviderWebhookError('sandbox webhook body is not JSON');
    }
    const parsed = webhookSchema.safeParse(input);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
      throw new ProviderWebhookError(`sandbox webhook body is not a payment.updated event (${where})`);
    }
    return { provider: this.name, event_id: parsed.data.id, occurred_at: parsed.data.created_at, payment: parsed.data.data.payment };
  }

  private async call(method: 'GET' | 'POST', path: string, operation: string, json?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.baseUrl() + path, {
      method,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      redirect: 'error',
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const error = errorBodySchema.safeParse(body);
      throw new SandboxProviderHttpError(res.status, operation, error.success ? error.data.error.code : undefined);
    }
    return body;
  }

  private parse<S extends z.ZodMiniType>(schema: S, body: unknown, operation: string): z.output<S> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new Error(`sandbox provider: ${operation} returned an unexpected body`);
    return parsed.data;
  }
}
