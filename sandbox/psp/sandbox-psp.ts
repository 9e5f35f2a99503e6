/**
 * The built-in sandbox payment provider: a fake PSP that runs inside the sandbox process, mounted
 * on its HTTP server under `/sandbox-psp/`. It behaves like an external system: its state lives in
 * memory here (never in Paylink's table), Paylink reaches it only over its HTTP API, and it reports
 * every payment outcome only through signed webhooks to Paylink's `POST /webhooks/sandbox`.
 *
 *   API (Bearer api key, JSON)      POST /sandbox-psp/v1/client-sessions
 *                                   GET  /sandbox-psp/v1/client-sessions/{id}
 *                                   GET  /sandbox-psp/v1/payments/{id}
 *                                   POST /sandbox-psp/v1/payments/{id}/void
 *                                   POST /sandbox-psp/v1/payments/{id}/refund   {"amount": n}
 *   Hosted page (shopper, HTML)     GET|POST /sandbox-psp/pay/{sessionId}
 *                                   POST     /sandbox-psp/pay/{sessionId}/challenge
 *
 * A client session takes at most one payment attempt (a card form that fails validation is not an
 * attempt); after a refusal the shopper goes back to `retry_url` for a new session.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { AuthorizationStatus } from '../../shared/domain/link/status.js';
import type { Logger } from '../../shared/logger.js';
import type {
  ClientSessionRequest,
  ClientSessionState,
  ClientSessionStatus,
  ProviderClientSession,
  ProviderPayment,
} from '../../shared/providers/payment-provider.js';
import { behaviourFor, validateCardForm, type CardField } from './cards.js';
import {
  challengePage,
  notFoundPage,
  outcomePage,
  pageHeaders,
  paymentFormPage,
  refusedPage,
  type PageContext,
  type RefusalReason,
} from './pages.js';
import { WebhookSender, decodeWebhookSecret, signedHeaders, type SignedHeaders, type WebhookDelivery } from './webhooks.js';

export interface SandboxPspOptions {
  /** Public base URL of the server the PSP is mounted on, e.g. http://localhost:3000. */
  baseUrl: () => string;
  /** Where webhooks go: Paylink's POST /webhooks/sandbox. */
  webhookUrl: () => string;
  /** Standard Webhooks secret: "whsec_" + base64. */
  webhookSecret: string;
  /** The Bearer token Paylink must present on the API. */
  apiKey: string;
  /** How long a PENDING or UNCERTAIN attempt waits before it resolves (SANDBOX_PENDING_MS). */
  pendingMs: number;
  logger: Logger;
  clock?: () => Date;
  /** false: webhooks are recorded (see `events()`) but not sent; a test then delivers them with
   * `resend`, in whatever order and as often as it likes. Default true. */
  deliverWebhooks?: boolean;
  /** Default 5 attempts, 200 ms before the first retry, doubling. */
  webhookRetry?: { maxAttempts?: number; firstBackoffMs?: number; timeoutMs?: number };
}

export interface SandboxPspSession {
  id: string;
  request: ClientSessionRequest;
  status: ClientSessionStatus;
  created_at: string;
  /** Attempts on this session, oldest first (at most one today). */
  payment_ids: string[];
}

/** A payment as the PSP keeps it: what Paylink sees, plus what tests need to check voids and refunds. */
export interface SandboxPspPayment extends ProviderPayment {
  voided: boolean;
  /** 0 until refunded. */
  refunded_amount: number;
  refusal_reason?: RefusalReason;
}

export interface SandboxPspEvent {
  /** Event id: the body's `id` and the `webhook-id` header. */
  id: string;
  created_at: string;
  /** The exact JSON that is signed and sent. */
  body: string;
  payment: ProviderPayment;
  delivery: WebhookDelivery;
}

export interface SandboxPsp {
  /** Serves the request if its path is under /sandbox-psp/ (then resolves true; it reads the body
   * itself), else leaves it untouched and resolves false. Never rejects. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  session(id: string): SandboxPspSession | undefined;
  sessions(): SandboxPspSession[];
  payment(id: string): SandboxPspPayment | undefined;
  payments(): SandboxPspPayment[];
  /** Every webhook event raised so far, oldest first, with its delivery progress. */
  events(): SandboxPspEvent[];
  /** Standard Webhooks headers for any body (for tests crafting their own webhooks). `id`
   * defaults to the body's `id` field; `timestamp` to now. */
  sign(body: string, options?: { id?: string; timestamp?: Date }): SignedHeaders;
  /** POSTs an earlier event again, same id and body, freshly signed, once (no retries). Resolves
   * to the receiver's HTTP status; rejects on a connection error or an unknown event id. */
  resend(eventId: string): Promise<number>;
  /** Resolves once no webhook delivery is queued or in flight (pending-resolution timers aside). */
  idle(): Promise<void>;
  /** Clears the pending-resolution and retry timers and aborts deliveries in flight. */
  close(): void;
}

const PREFIX = '/sandbox-psp/';
const MAX_BODY_BYTES = 64 * 1024;

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

const sessionRequestSchema = z.object({
  payment_link_id: z.string().min(1),
  entity_id: z.string().min(1),
  amount: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  capture_mode: z.enum(['AUTOMATIC', 'MANUAL']),
  return_url: httpUrl,
  retry_url: httpUrl,
  locale: z.string().min(1),
  merchant_display_name: z.string().min(1),
  order_reference: z.string(),
}) satisfies z.ZodType<ClientSessionRequest>;

const refundSchema = z.object({ amount: z.number().int().positive() });

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

class BodyTooLarge extends Error {}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
});

const apiError = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): Reply =>
  json(status, { error: { code, message, ...extra } });

/** The shopper is sent to `return_url` with the session id appended, its own query kept verbatim. */
export function returnUrlFor(returnUrl: string, sessionId: string): string {
  const url = new URL(returnUrl);
  const param = `client_session_id=${encodeURIComponent(sessionId)}`;
  url.search = url.search.length > 1 ? `${url.search}&${param}` : `?${param}`;
  return url.toString();
}

export function createSandboxPsp(options: SandboxPspOptions): SandboxPsp {
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger.child({ component: 'sandbox-psp' });
  const signingKey = decodeWebhookSecret(options.webhookSecret);
  const apiKeyDigest = createHash('sha256').update(options.apiKey).digest();
  const deliver = options.deliverWebhooks ?? true;
  const sender = new WebhookSender({
    url: options.webhookUrl,
    key: signingKey,
    clock,
    logger,
    maxAttempts: options.webhookRetry?.maxAttempts ?? 5,
    firstBackoffMs: options.webhookRetry?.firstBackoffMs ?? 200,
    timeoutMs: options.webhookRetry?.timeoutMs ?? 5000,
  });

  const sessions = new Map<string, SandboxPspSession>();
  const payments = new Map<string, SandboxPspPayment>();
  const events: SandboxPspEvent[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  // ---- state changes -------------------------------------------------------------------------

  const providerView = (p: SandboxPspPayment): ProviderPayment => ({
    id: p.id,
    client_session_id: p.client_session_id,
    payment_link_id: p.payment_link_id,
    authorization_status: p.authorization_status,
    amount: p.amount,
    currency: p.currency,
    captured: p.captured,
    created_at: p.created_at,
  });

  /** Every authorization status change is reported, and only, by a webhook. */
  function emit(payment: SandboxPspPayment): void {
    const snapshot = providerView(payment);
    const id = randomUUID();
    const created_at = clock().toISOString();
    const body = JSON.stringify({ id, type: 'payment.updated', created_at, data: { payment: snapshot } });
    const event: SandboxPspEvent = { id, created_at, body, payment: snapshot, delivery: { attempts: 0, delivered: false, gave_up: false } };
    events.push(event);
    if (deliver && !closed) sender.enqueue(payment.id, event, event.delivery);
  }

  function setStatus(payment: SandboxPspPayment, status: AuthorizationStatus, refusal?: RefusalReason): void {
    payment.authorization_status = status;
    const session = sessions.get(payment.client_session_id)!;
    // Automatic capture happens with the authorization; a MANUAL payment waits for a capture call.
    payment.captured = status === 'AUTHORIZED' && session.request.capture_mode === 'AUTOMATIC';
    if (refusal) payment.refusal_reason = refusal;
    // Logged as `status`: the logger masks any key that looks like "authorization".
    logger.info('sandbox psp: payment status', { payment_id: payment.id, client_session_id: session.id, status });
    emit(payment);
  }

  function newPayment(session: SandboxPspSession): SandboxPspPayment {
    const payment: SandboxPspPayment = {
      id: randomUUID(),
      client_session_id: session.id,
      payment_link_id: session.request.payment_link_id,
      authorization_status: 'PENDING',
      amount: session.request.amount,
      currency: session.request.currency,
      captured: false,
      created_at: clock().toISOString(),
      voided: false,
      refunded_amount: 0,
    };
    payments.set(payment.id, payment);
    session.payment_ids.push(payment.id);
    session.status = 'SUBMITTED';
    return payment;
  }

  function scheduleResolution(payment: SandboxPspPayment, to: 'AUTHORIZED' | 'REFUSED'): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (closed) return;
      if (payment.authorization_status !== 'PENDING' && payment.authorization_status !== 'UNCERTAIN') return;
      setStatus(payment, to, to === 'REFUSED' ? 'not_confirmed' : undefined);
    }, options.pendingMs);
    timers.add(timer);
  }

  const latestPayment = (session: SandboxPspSession): SandboxPspPayment | undefined => {
    const id = session.payment_ids.at(-1);
    return id === undefined ? undefined : payments.get(id);
  };

  // ---- API -----------------------------------------------------------------------------------

  function authorized(req: IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match) return false;
    // Digests have equal lengths, so the comparison is constant-time whatever was sent.
    return timingSafeEqual(createHash('sha256').update(match[1]!).digest(), apiKeyDigest);
  }

  function parseJson<S extends z.ZodType>(schema: S, body: Buffer): { ok: true; value: z.output<S> } | { ok: false; reply: Reply } {
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return { ok: false, reply: apiError(400, 'invalid_json', 'the body is not JSON') };
    }
    const parsed = schema.safeParse(input);
    if (parsed.success) return { ok: true, value: parsed.data };
    const fields = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    return { ok: false, reply: apiError(400, 'invalid_request', 'the body is not valid', { fields }) };
  }

  function api(method: string, segments: string[], req: IncomingMessage, body: Buffer): Reply {
    if (!authorized(req)) return { ...apiError(401, 'unauthorized', 'a valid Bearer api key is required'), headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } };
    const [resource, id, action, ...rest] = segments;
    const allow = (allowed: string, handler: () => Reply): Reply =>
      method === allowed ? handler() : { ...apiError(405, 'method_not_allowed', `use ${allowed}`), headers: { 'content-type': 'application/json', allow: allowed } };

    if (resource === 'client-sessions' && id === undefined) return allow('POST', () => createSession(body));
    if (resource === 'client-sessions' && id !== undefined && action === undefined) return allow('GET', () => getSession(id));
    if (resource === 'payments' && id !== undefined && rest.length === 0) {
      const payment = payments.get(id);
      if (action === undefined) return allow('GET', () => (payment ? json(200, paymentBody(payment)) : notFound('payment')));
      if (action === 'void') return allow('POST', () => (payment ? voidPayment(payment) : notFound('payment')));
      if (action === 'refund') return allow('POST', () => (payment ? refundPayment(payment, body) : notFound('payment')));
    }
    return apiError(404, 'not_found', 'no such endpoint');
  }

  const notFound = (what: string) => apiError(404, 'not_found', `no such ${what}`);
  const paymentBody = (p: SandboxPspPayment) => ({ ...providerView(p), voided: p.voided, refunded_amount: p.refunded_amount });

  function createSession(body: Buffer): Reply {
    const parsed = parseJson(sessionRequestSchema, body);
    if (!parsed.ok) return parsed.reply;
    const session: SandboxPspSession = {
      id: randomUUID(),
      request: parsed.value,
      status: 'CREATED',
      created_at: clock().toISOString(),
      payment_ids: [],
    };
    sessions.set(session.id, session);
    logger.info('sandbox psp: client session created', { client_session_id: session.id, payment_link_id: session.request.payment_link_id });
    const redirect_url = `${options.baseUrl()}${PREFIX}pay/${session.id}`;
    const created: ProviderClientSession & { status: ClientSessionStatus } = { id: session.id, status: session.status, redirect_url };
    return json(201, created, { location: `${options.baseUrl()}${PREFIX}v1/client-sessions/${session.id}` });
  }

  function getSession(id: string): Reply {
    const session = sessions.get(id);
    if (!session) return notFound('client session');
    const latest = latestPayment(session);
    const state: ClientSessionState = {
      id: session.id,
      payment_link_id: session.request.payment_link_id,
      status: session.status,
      ...(latest ? { payment: { id: latest.id, authorization_status: latest.authorization_status } } : {}),
    };
    return json(200, state);
  }

  function voidPayment(payment: SandboxPspPayment): Reply {
    if (payment.voided) return json(200, paymentBody(payment));
    if (payment.captured) return apiError(409, 'already_captured', 'a captured payment cannot be voided; refund it');
    if (payment.authorization_status !== 'AUTHORIZED') {
      return apiError(409, 'not_authorized', `a ${payment.authorization_status} payment cannot be voided`);
    }
    payment.voided = true;
    logger.info('sandbox psp: payment voided', { payment_id: payment.id });
    return json(200, paymentBody(payment));
  }

  function refundPayment(payment: SandboxPspPayment, body: Buffer): Reply {
    const parsed = parseJson(refundSchema, body);
    if (!parsed.ok) return parsed.reply;
    // Idempotent per payment: a second refund of a refunded payment succeeds without changing it.
    if (payment.refunded_amount > 0) return json(200, paymentBody(payment));
    if (!payment.captured) return apiError(409, 'not_captured', 'only a captured payment can be refunded; void it');
    if (parsed.value.amount > payment.amount) return apiError(400, 'invalid_request', 'amount exceeds the payment amount');
    payment.refunded_amount = parsed.value.amount;
    logger.info('sandbox psp: payment refunded', { payment_id: payment.id, amount: parsed.value.amount });
    return json(200, paymentBody(payment));
  }

  // ---- hosted page ---------------------------------------------------------------------------

  const contextOf = (session: SandboxPspSession): PageContext => ({
    sessionId: session.id,
    locale: session.request.locale,
    merchant: session.request.merchant_display_name,
    amount: session.request.amount,
    currency: session.request.currency,
    orderReference: session.request.order_reference,
  });

  const page = (session: SandboxPspSession | undefined, status: number, html: string): Reply => ({
    status,
    headers: pageHeaders(),
    body: html,
  });

  const toReturnUrl = (session: SandboxPspSession): Reply => ({
    status: 303,
    headers: { location: returnUrlFor(session.request.return_url, session.id), 'cache-control': 'no-store' },
    body: '',
  });

  /** What the shopper sees for a session that already has an attempt: never a second card form. */
  function currentState(session: SandboxPspSession, payment: SandboxPspPayment, status: number): Reply {
    const ctx = contextOf(session);
    const continueUrl = returnUrlFor(session.request.return_url, session.id);
    switch (payment.authorization_status) {
      case 'CHALLENGE_REQUIRED':
        return page(session, status, challengePage(ctx));
      case 'AUTHORIZED':
        return page(session, status, outcomePage(ctx, 'authorized', continueUrl));
      case 'PENDING':
      case 'UNCERTAIN':
        return page(session, status, outcomePage(ctx, 'processing', continueUrl));
      case 'REFUSED':
      case 'ABORTED':
        return page(session, status, refusedPage(ctx, payment.refusal_reason ?? 'declined', session.request.retry_url));
    }
  }

  function hosted(method: string, sessionId: string, action: string | undefined, body: Buffer): Reply {
    const session = sessions.get(sessionId);
    if (!session) return page(undefined, 404, notFoundPage());
    const payment = latestPayment(session);
    const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));

    if (action === undefined && method === 'GET') {
      return payment ? currentState(session, payment, 200) : page(session, 200, paymentFormPage(contextOf(session)));
    }
    if (action === undefined && method === 'POST') {
      if (payment) return currentState(session, payment, 409);
      return submitCard(session, form);
    }
    if (action === 'challenge' && method === 'POST') {
      if (!payment || payment.authorization_status !== 'CHALLENGE_REQUIRED') {
        return payment ? currentState(session, payment, 409) : page(session, 409, paymentFormPage(contextOf(session)));
      }
      return submitChallenge(session, payment, form.challenge_result);
    }
    if (action === 'challenge' && method === 'GET') return { status: 303, headers: { location: `${PREFIX}pay/${session.id}` }, body: '' };
    return { status: 405, headers: { allow: 'GET, POST', 'content-type': 'text/plain; charset=utf-8' }, body: 'Method not allowed' };
  }

  function submitCard(session: SandboxPspSession, form: Record<string, string>): Reply {
    const result = validateCardForm(form as Partial<Record<CardField, string>>, clock());
    if (!result.ok) return page(session, 422, paymentFormPage(contextOf(session), result.errors, form));

    const payment = newPayment(session);
    const behaviour = behaviourFor(result.card.card_number);
    switch (behaviour.kind) {
      case 'authorize':
        setStatus(payment, 'AUTHORIZED');
        return toReturnUrl(session);
      case 'refuse':
        setStatus(payment, 'REFUSED', behaviour.reason);
        return page(session, 200, refusedPage(contextOf(session), behaviour.reason, session.request.retry_url));
      case 'challenge':
        setStatus(payment, 'CHALLENGE_REQUIRED');
        return page(session, 200, challengePage(contextOf(session)));
      case 'deferred':
        setStatus(payment, behaviour.now);
        scheduleResolution(payment, behaviour.then);
        return toReturnUrl(session);
    }
  }

  function submitChallenge(session: SandboxPspSession, payment: SandboxPspPayment, result: string | undefined): Reply {
    if (result === 'success') {
      setStatus(payment, 'AUTHORIZED');
      return toReturnUrl(session);
    }
    if (result === 'failure') {
      setStatus(payment, 'REFUSED', 'challenge_failed');
      return page(session, 200, refusedPage(contextOf(session), 'challenge_failed', session.request.retry_url));
    }
    return page(session, 422, challengePage(contextOf(session), true));
  }

  // ---- HTTP plumbing -------------------------------------------------------------------------

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  function route(method: string, pathname: string, req: IncomingMessage, body: Buffer): Reply {
    let segments: string[];
    try {
      segments = pathname.slice(PREFIX.length).split('/').map(decodeURIComponent);
    } catch {
      return apiError(404, 'not_found', 'no such endpoint');
    }
    const [area, ...rest] = segments;
    if (area === 'v1') return api(method, rest, req, body);
    if (area === 'pay' && rest.length >= 1 && rest.length <= 2 && rest[0]) {
      const action = rest[1];
      if (action === undefined || action === 'challenge') return hosted(method, rest[0], action, body);
    }
    return page(undefined, 404, notFoundPage());
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const pathname = new URL(req.url ?? '/', 'http://sandbox-psp').pathname;
    if (!pathname.startsWith(PREFIX)) return false;
    let reply: Reply;
    try {
      const body = await readBody(req);
      reply = route(req.method ?? 'GET', pathname, req, body);
    } catch (error) {
      if (error instanceof BodyTooLarge) reply = apiError(413, 'payload_too_large', 'request body too large');
      else {
        logger.error('sandbox psp: request failed', { error });
        reply = apiError(500, 'internal_error', 'sandbox psp failure');
      }
    }
    if (!res.headersSent) {
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    }
    return true;
  }

  const copy = <T>(value: T): T => structuredClone(value);

  return {
    handle,
    session: (id) => {
      const s = sessions.get(id);
      return s && copy(s);
    },
    sessions: () => [...sessions.values()].map(copy),
    payment: (id) => {
      const p = payments.get(id);
      return p && copy(p);
    },
    payments: () => [...payments.values()].map(copy),
    events: () => events.map(copy),
    sign: (body, signOptions = {}) => {
      let id = signOptions.id;
      if (id === undefined) {
        try {
          const parsed = JSON.parse(body) as { id?: unknown };
          if (typeof parsed.id === 'string') id = parsed.id;
        } catch {
          // not JSON: sign it under a fresh id
        }
      }
      return signedHeaders(signingKey, id ?? randomUUID(), signOptions.timestamp ?? clock(), body);
    },
    resend: async (eventId) => {
      const event = events.find((e) => e.id === eventId);
      if (!event) throw new Error(`sandbox psp: no event ${eventId}`);
      return sender.sendOnce(event);
    },
    idle: () => sender.idle(),
    close: () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      sender.close();
    },
  };
}
