/**
 * The sandbox PSP's server-to-server API, the one Paylink's sandbox provider adapter calls
 * (Bearer api key, JSON):
 *
 *   POST /sandbox-psp/v1/client-sessions
 *   GET  /sandbox-psp/v1/client-sessions/{id}
 *   GET  /sandbox-psp/v1/payments/{id}
 *   POST /sandbox-psp/v1/payments/{id}/void
 *   POST /sandbox-psp/v1/payments/{id}/refund   {"amount": n}
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Logger } from '../../shared/logger.js';
import type { ClientSessionRequest, ClientSessionState, ClientSessionStatus, ProviderClientSession } from '../../shared/providers/payment-provider.js';
import { PREFIX, apiError, json, type Reply } from './reply.js';
import { providerView, type PspState, type SandboxPspPayment } from './state.js';

export interface PspApiOptions {
  state: PspState;
  /** The Bearer token Paylink must present. */
  apiKey: string;
  /** Public base URL of the server the PSP is mounted on. */
  baseUrl: () => string;
  logger: Logger;
}

/** Answers a request under /sandbox-psp/v1/, given the path segments after `v1`. */
export type PspApi = (method: string, segments: string[], req: IncomingMessage, body: Buffer) => Reply;

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

const notFound = (what: string) => apiError(404, 'not_found', `no such ${what}`);
const paymentBody = (p: SandboxPspPayment) => ({ ...providerView(p), voided: p.voided, refunded_amount: p.refunded_amount });

export function createPspApi({ state, apiKey, baseUrl, logger }: PspApiOptions): PspApi {
  const apiKeyDigest = createHash('sha256').update(apiKey).digest();

  function authorized(req: IncomingMessage): boolean {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match) return false;
    // Digests have equal lengths, so the comparison is constant-time whatever was sent.
    return timingSafeEqual(createHash('sha256').update(match[1]!).digest(), apiKeyDigest);
  }

  function createSession(body: Buffer): Reply {
    const parsed = parseJson(sessionRequestSchema, body);
    if (!parsed.ok) return parsed.reply;
    const session = state.openSession(parsed.value);
    const redirect_url = `${baseUrl()}${PREFIX}pay/${session.id}`;
    const created: ProviderClientSession & { status: ClientSessionStatus } = { id: session.id, status: session.status, redirect_url };
    return json(201, created, { location: `${baseUrl()}${PREFIX}v1/client-sessions/${session.id}` });
  }

  function getSession(id: string): Reply {
    const session = state.session(id);
    if (!session) return notFound('client session');
    const latest = state.latestPayment(session);
    const sessionState: ClientSessionState = {
      id: session.id,
      payment_link_id: session.request.payment_link_id,
      status: session.status,
      ...(latest ? { payment: { id: latest.id, authorization_status: latest.authorization_status } } : {}),
    };
    return json(200, sessionState);
  }

  function voidPayment(payment: SandboxPspPayment): Reply {
    if (payment.voided) return json(200, paymentBody(payment));
    if (payment.captured) return apiError(409, 'already_captured', 'a captured payment cannot be voided; refund it');
    if (payment.authorization_status !== 'AUTHORIZED') {
      return apiError(409, 'not_authorized', `a ${payment.authorization_status} payment cannot be voided`);
    }
    payment.voided = true;
    state.saved(payment);
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
    state.saved(payment);
    logger.info('sandbox psp: payment refunded', { payment_id: payment.id, amount: parsed.value.amount });
    return json(200, paymentBody(payment));
  }

  return (method, segments, req, body) => {
    if (!authorized(req)) return { ...apiError(401, 'unauthorized', 'a valid Bearer api key is required'), headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } };
    const [resource, id, action, ...rest] = segments;
    const allow = (allowed: string, handler: () => Reply): Reply =>
      method === allowed ? handler() : { ...apiError(405, 'method_not_allowed', `use ${allowed}`), headers: { 'content-type': 'application/json', allow: allowed } };

    if (resource === 'client-sessions' && id === undefined) return allow('POST', () => createSession(body));
    if (resource === 'client-sessions' && id !== undefined && action === undefined) return allow('GET', () => getSession(id));
    if (resource === 'payments' && id !== undefined && rest.length === 0) {
      const payment = state.payment(id);
      if (action === undefined) return allow('GET', () => (payment ? json(200, paymentBody(payment)) : notFound('payment')));
      if (action === 'void') return allow('POST', () => (payment ? voidPayment(payment) : notFound('payment')));
      if (action === 'refund') return allow('POST', () => (payment ? refundPayment(payment, body) : notFound('payment')));
    }
    return apiError(404, 'not_found', 'no such endpoint');
  };
}
