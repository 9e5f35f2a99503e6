/**
 * The sandbox PSP's memory: client sessions, payments and the webhook events they raised. It lives
 * here and nowhere else (never in Paylink's table), like an external provider's own database.
 * Every authorization status change goes through `setStatus`, which raises the webhook event that
 * is Paylink's only way of learning it.
 */
import { randomUUID } from 'node:crypto';
import type { AuthorizationStatus } from '../../shared/domain/link/status.js';
import type { Logger } from '../../shared/logger.js';
import type { ClientSessionRequest, ClientSessionStatus, ProviderPayment } from '../../shared/providers/payment-provider.js';
import type { RefusalReason } from './pages.js';
import type { WebhookDelivery } from './webhooks.js';

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

/** Where sessions and payments are kept across restarts (store.ts), given each change. */
export interface PspStore {
  saveSession(session: SandboxPspSession): void;
  savePayment(payment: SandboxPspPayment): void;
}

export interface PspStateOptions {
  clock: () => Date;
  logger: Logger;
  /** Hands a new event to delivery (not called once closed). */
  publish: (paymentId: string, event: SandboxPspEvent) => void;
  /** Keeps sessions and payments across restarts (store.ts), starting from what it held. */
  store?: { store: PspStore; sessions: SandboxPspSession[]; payments: SandboxPspPayment[] };
}

/** The payment as Paylink sees it, without the PSP's own bookkeeping. */
export const providerView = (p: SandboxPspPayment): ProviderPayment => ({
  id: p.id,
  client_session_id: p.client_session_id,
  payment_link_id: p.payment_link_id,
  authorization_status: p.authorization_status,
  amount: p.amount,
  currency: p.currency,
  captured: p.captured,
  created_at: p.created_at,
});

export class PspState {
  private readonly sessionsById = new Map<string, SandboxPspSession>();
  private readonly paymentsById = new Map<string, SandboxPspPayment>();
  private readonly raised: SandboxPspEvent[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: PspStateOptions) {
    for (const session of options.store?.sessions ?? []) this.sessionsById.set(session.id, session);
    for (const payment of options.store?.payments ?? []) this.paymentsById.set(payment.id, payment);
  }

  /** A payment changed outside this class (voided, refunded): kept. */
  saved(payment: SandboxPspPayment): void {
    this.options.store?.store.savePayment(payment);
  }

  session(id: string): SandboxPspSession | undefined {
    return this.sessionsById.get(id);
  }

  sessions(): SandboxPspSession[] {
    return [...this.sessionsById.values()];
  }

  payment(id: string): SandboxPspPayment | undefined {
    return this.paymentsById.get(id);
  }

  payments(): SandboxPspPayment[] {
    return [...this.paymentsById.values()];
  }

  /** Every event raised so far, oldest first. */
  events(): SandboxPspEvent[] {
    return this.raised;
  }

  latestPayment(session: SandboxPspSession): SandboxPspPayment | undefined {
    const id = session.payment_ids.at(-1);
    return id === undefined ? undefined : this.paymentsById.get(id);
  }

  openSession(request: ClientSessionRequest): SandboxPspSession {
    const session: SandboxPspSession = {
      id: randomUUID(),
      request,
      status: 'CREATED',
      created_at: this.options.clock().toISOString(),
      payment_ids: [],
    };
    this.sessionsById.set(session.id, session);
    this.options.store?.store.saveSession(session);
    this.options.logger.info('sandbox psp: client session created', { client_session_id: session.id, payment_link_id: request.payment_link_id });
    return session;
  }

  /** A new attempt on the session, PENDING until its card decides; the session is then SUBMITTED. */
  newPayment(session: SandboxPspSession): SandboxPspPayment {
    const payment: SandboxPspPayment = {
      id: randomUUID(),
      client_session_id: session.id,
      payment_link_id: session.request.payment_link_id,
      authorization_status: 'PENDING',
      amount: session.request.amount,
      currency: session.request.currency,
      captured: false,
      created_at: this.options.clock().toISOString(),
      voided: false,
      refunded_amount: 0,
    };
    this.paymentsById.set(payment.id, payment);
    session.payment_ids.push(payment.id);
    session.status = 'SUBMITTED';
    this.options.store?.store.savePayment(payment);
    this.options.store?.store.saveSession(session);
    return payment;
  }

  /** Every authorization status change is reported, and only, by a webhook. */
  setStatus(payment: SandboxPspPayment, status: AuthorizationStatus, refusal?: RefusalReason): void {
    payment.authorization_status = status;
    const session = this.sessionsById.get(payment.client_session_id)!;
    // Automatic capture happens with the authorization; a MANUAL payment waits for a capture call.
    payment.captured = status === 'AUTHORIZED' && session.request.capture_mode === 'AUTOMATIC';
    if (refusal) payment.refusal_reason = refusal;
    this.saved(payment);
    // Logged as `status`: the logger masks any key that looks like "authorization".
    this.options.logger.info('sandbox psp: payment status', { payment_id: payment.id, client_session_id: session.id, status });
    this.emit(payment);
  }

  /** Runs `task` after `ms` unless the PSP has closed by then. */
  later(ms: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) task();
    }, ms);
    this.timers.add(timer);
  }

  /** Clears the timers; events raised afterwards (none are expected) are recorded, not published. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private emit(payment: SandboxPspPayment): void {
    const snapshot = providerView(payment);
    const id = randomUUID();
    const created_at = this.options.clock().toISOString();
    const body = JSON.stringify({ id, type: 'payment.updated', created_at, data: { payment: snapshot } });
    const event: SandboxPspEvent = { id, created_at, body, payment: snapshot, delivery: { attempts: 0, delivered: false, gave_up: false } };
    this.raised.push(event);
    if (!this.closed) this.options.publish(payment.id, event);
  }
}
