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
 * This file wires the parts and gives tests their view of the state: api.ts (the API), hosted.ts
 * (the shopper's pages) and attempts.ts (what each test card does, 3-D Secure, pending timers)
 * over state.ts (sessions, payments, events), routed by router.ts; webhooks.ts signs and delivers.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logger.js';
import type { ClientSessionRequest } from '../../shared/providers/payment-provider.js';
import { createPspApi } from './api.js';
import { createHostedPages } from './hosted.js';
import { createPspRouter } from './router.js';
import { PspState, type SandboxPspEvent, type SandboxPspPayment, type SandboxPspSession } from './state.js';
import { PspJournal } from './store.js';
import { WebhookSender, decodeWebhookSecret, signedHeaders, type SignedHeaders } from './webhooks.js';

export type { SandboxPspEvent, SandboxPspPayment, SandboxPspSession } from './state.js';

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
  /** Keep sessions and payments in this file across restarts (store.ts); in memory only without it. */
  journalPath?: string;
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
  /** Makes the PSP misbehave as a faulty or compromised provider would: the session's later attempts
   * charge this amount or currency, or name this payment link, instead of what Paylink asked for (a
   * partial authorization, a currency conversion, sessions mixed up between links). Their webhooks
   * are signed as usual; Paylink must refuse to apply them (issue 9, item 4). */
  alterSession(id: string, patch: Partial<Pick<ClientSessionRequest, 'amount' | 'currency' | 'payment_link_id'>>): void;
  /** Resolves once no webhook delivery is queued or in flight (pending-resolution timers aside). */
  idle(): Promise<void>;
  /** Clears the pending-resolution and retry timers and aborts deliveries in flight. */
  close(): void;
}

export function createSandboxPsp(options: SandboxPspOptions): SandboxPsp {
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger.child({ component: 'sandbox-psp' });
  const signingKey = decodeWebhookSecret(options.webhookSecret);
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
  const kept = options.journalPath ? PspJournal.open(options.journalPath) : undefined;
  const state = new PspState({
    clock,
    logger,
    publish: (paymentId, event) => {
      if (deliver) sender.enqueue(paymentId, event, event.delivery);
    },
    ...(kept ? { store: kept } : {}),
  });
  const handle = createPspRouter({
    api: createPspApi({ state, apiKey: options.apiKey, baseUrl: options.baseUrl, logger }),
    hosted: createHostedPages({ state, clock, pendingMs: options.pendingMs }),
    logger,
  });

  const copy = <T>(value: T): T => structuredClone(value);

  return {
    handle,
    session: (id) => {
      const s = state.session(id);
      return s && copy(s);
    },
    sessions: () => state.sessions().map(copy),
    payment: (id) => {
      const p = state.payment(id);
      return p && copy(p);
    },
    payments: () => state.payments().map(copy),
    events: () => state.events().map(copy),
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
      const event = state.events().find((e) => e.id === eventId);
      if (!event) throw new Error(`sandbox psp: no event ${eventId}`);
      return sender.sendOnce(event);
    },
    alterSession: (id, patch) => {
      const session = state.session(id);
      if (!session) throw new Error(`sandbox psp: no client session ${id}`);
      Object.assign(session.request, patch);
    },
    idle: () => sender.idle(),
    close: () => {
      state.close();
      sender.close();
      kept?.store.close();
    },
  };
}
