/**
 * Provider notifications applied to links: confirmed with the provider, checked against the link
 * (payment-checks.ts), at most once per event id, in any order (statuses only move forward), with
 * late and mismatched authorizations voided or refunded. Pure domain code over ports; every change
 * is a conditional write through updateLink. The webhook consumer and the shopper's return
 * (link-payments.ts) both come through here.
 */
import type { PaymentProvider, ProviderEvent, ProviderPayment, ProviderRegistry } from '../../providers/payment-provider.js';
import { transition, type AuthorizationStatus } from '../link/status.js';
import { updateLink } from '../link/write.js';
import type { PaymentLink, PaymentMismatch, PaymentRecord } from '../link/model.js';
import type { Clock, LinkStore } from '../ports.js';
import { paymentMismatches, recordMismatch } from './payment-checks.js';

/** How many applied provider event ids a link remembers (far more than one link ever receives). */
const REMEMBERED_EVENT_IDS = 100;

const FINAL: ReadonlySet<AuthorizationStatus> = new Set(['AUTHORIZED', 'REFUSED', 'ABORTED']);

export class UnknownPaymentLinkError extends Error {
  override readonly name = 'UnknownPaymentLinkError';
}

/** `mismatch`: the notification does not match its link; recorded, not applied (payment-checks.ts). */
export type ApplyOutcome = 'applied' | 'duplicate' | 'stale' | 'late_payment' | 'mismatch';

/** A payment's statuses only move forward: a final one is never replaced (reordered webhooks). */
function supersedes(next: AuthorizationStatus, existing: AuthorizationStatus | undefined): boolean {
  if (existing === undefined) return true;
  if (FINAL.has(existing)) return false;
  return next !== existing;
}

function remember(ids: string[] | undefined, id: string): string[] {
  return [...(ids ?? []), id].slice(-REMEMBERED_EVENT_IDS);
}

/**
 * The link after one provider event, or undefined when the event changes nothing. Pure. `confirmed`
 * is the payment as the provider holds it (undefined: unknown to the provider); an event that does
 * not match it, or whose payment does not match the link, is recorded as a mismatch instead.
 */
export function decidePaymentEvent(
  current: PaymentLink,
  event: ProviderEvent,
  confirmed: ProviderPayment | undefined,
): { next?: PaymentLink; value: ApplyOutcome } {
  if (current.processed_event_ids?.includes(event.event_id)) return { value: 'duplicate' };
  const reasons = paymentMismatches(current, event.payment, confirmed);
  if (reasons.length > 0 || !confirmed) {
    const next = recordMismatch(current, event, confirmed, reasons, remember);
    return next ? { next, value: 'mismatch' } : { value: 'duplicate' };
  }
  // The notification's status, and what only the provider knows now (whether funds were captured).
  const payment = { ...event.payment, captured: confirmed.captured };
  const existing = current.payments.find((p) => p.id === payment.id);
  if (!supersedes(payment.authorization_status, existing?.authorization_status)) return { value: 'stale' };

  const result = transition(current.status, { type: 'PAYMENT', authorization_status: payment.authorization_status });
  let status = current.status;
  let late = false;
  if (result.outcome === 'changed') {
    status = result.to;
    // A refusal of one attempt does not end another attempt that is still in progress.
    const othersInProgress = current.payments.some((p) => p.id !== payment.id && !FINAL.has(p.authorization_status));
    if (status === 'OPENED' && othersInProgress) status = 'PAYMENT_IN_PROGRESS';
  } else if (result.outcome === 'late_payment') {
    late = true;
  }

  const record: PaymentRecord = {
    ...existing,
    id: payment.id,
    authorization_status: payment.authorization_status,
    client_session_id: payment.client_session_id,
    provider: event.provider,
    amount: payment.amount,
    currency: payment.currency,
    created_at: existing?.created_at ?? payment.created_at,
    ...(late ? { late_settlement: payment.captured ? 'REFUND_PENDING' : 'VOID_PENDING' } : {}),
  };
  const payments = existing ? current.payments.map((p) => (p.id === payment.id ? record : p)) : [...current.payments, record];
  const client_sessions = current.client_sessions.map((s) =>
    s.id === payment.client_session_id && s.status === 'CREATED' ? { ...s, status: 'SUBMITTED' } : s,
  );
  return {
    next: { ...current, status, payments, client_sessions, processed_event_ids: remember(current.processed_event_ids, event.event_id) },
    value: late ? 'late_payment' : 'applied',
  };
}

export interface ApplyDeps {
  links: LinkStore;
  clock: Clock;
  providers: ProviderRegistry;
}

export interface Applied {
  outcome: ApplyOutcome;
  link: PaymentLink;
  /** The mismatch this event recorded (outcome `mismatch`): for the caller's metric. */
  mismatch?: PaymentMismatch;
}

function providerOf(deps: ApplyDeps, name: string | undefined): PaymentProvider {
  const provider = deps.providers.get(name ?? '');
  if (!provider) throw new Error(`payment provider ${name} is not configured`);
  return provider;
}

/**
 * Applies one verified provider event, confirmed with the provider first (getPayment: amounts,
 * currency, session and link as the provider holds them, checked against the link): at most once
 * (by event id), in any order (statuses only move forward, PAID is never reverted), and with
 * concurrent authorizations only one can make the link PAID: the others are recorded as late and
 * voided (refunded if captured). A mismatch is recorded instead and changes nothing else.
 */
export async function applyProviderEvent(event: ProviderEvent, deps: ApplyDeps): Promise<Applied> {
  const confirmed = await providerOf(deps, event.provider).getPayment(event.payment.id);
  return applyConfirmedEvent(event, confirmed, deps);
}

/** applyProviderEvent with the provider's answer already in hand (the shopper's return asked for it). */
export async function applyConfirmedEvent(event: ProviderEvent, confirmed: ProviderPayment | undefined, deps: ApplyDeps): Promise<Applied> {
  const linkId = event.payment.payment_link_id;
  const load = async () => {
    const link = await deps.links.get(linkId);
    if (!link) throw new UnknownPaymentLinkError(`no payment link ${linkId} for provider event ${event.event_id}`);
    return link;
  };
  const { link, value } = await updateLink<ApplyOutcome>(load, (current) => decidePaymentEvent(current, event, confirmed), deps);
  // Also after a duplicate: an earlier delivery may have recorded the late payment (or mismatch)
  // and then failed before the provider call.
  const settled = await settlePayments(link, { ...deps, load });
  const mismatch = value === 'mismatch' ? link.payment_mismatches?.at(-1) : undefined;
  return { outcome: value, link: settled, ...(mismatch ? { mismatch } : {}) };
}

/** One payment to void (or refund, if captured), and how to record that it was done. */
interface Settlement {
  provider: string | undefined;
  paymentId: string;
  refund: boolean;
  amount: number;
  markDone: (latest: PaymentLink) => PaymentLink | undefined;
}

function pendingSettlements(link: PaymentLink): Settlement[] {
  const pending = (s: string | undefined) => s === 'VOID_PENDING' || s === 'REFUND_PENDING';
  const late = link.payments.filter((p) => pending(p.late_settlement)).map((payment): Settlement => {
    const refund = payment.late_settlement === 'REFUND_PENDING';
    const done = refund ? 'REFUNDED' : 'VOIDED';
    return {
      provider: payment.provider,
      paymentId: payment.id,
      refund,
      amount: payment.amount ?? link.amount,
      markDone: (latest) => {
        const target = latest.payments.find((p) => p.id === payment.id);
        if (!target || target.late_settlement === done) return undefined;
        return { ...latest, payments: latest.payments.map((p) => (p.id === payment.id ? { ...p, late_settlement: done } : p)) };
      },
    };
  });
  const mismatched = (link.payment_mismatches ?? []).filter((m) => pending(m.settlement)).map((mismatch): Settlement => {
    const refund = mismatch.settlement === 'REFUND_PENDING';
    const done = refund ? 'REFUNDED' : 'VOIDED';
    const isIt = (m: PaymentMismatch) => m.event_id === mismatch.event_id;
    return {
      provider: mismatch.provider,
      paymentId: mismatch.payment_id,
      refund,
      // What the provider captured, not what the link asked for.
      amount: mismatch.amount ?? link.amount,
      markDone: (latest) => {
        const target = latest.payment_mismatches?.find(isIt);
        if (!target || target.settlement === done) return undefined;
        return { ...latest, payment_mismatches: latest.payment_mismatches!.map((m) => (isIt(m) ? { ...m, settlement: done } : m)) };
      },
    };
  });
  return [...late, ...mismatched];
}

/**
 * Voids (or refunds, if captured) every late or mismatched payment not settled yet, then records
 * that. Both calls are idempotent at the provider, so a crash in between only repeats the call.
 */
export async function settlePayments(link: PaymentLink, deps: ApplyDeps & { load: () => Promise<PaymentLink> }): Promise<PaymentLink> {
  let current = link;
  for (const settlement of pendingSettlements(link)) {
    const provider = providerOf(deps, settlement.provider);
    if (settlement.refund) await provider.refundPayment(settlement.paymentId, settlement.amount);
    else await provider.voidPayment(settlement.paymentId);
    ({ link: current } = await updateLink(
      deps.load,
      (latest) => {
        const next = settlement.markDone(latest);
        return next ? { next, value: undefined } : { value: undefined };
      },
      deps,
    ));
  }
  return current;
}
