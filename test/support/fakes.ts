/** In-memory implementations of the ports, for pure unit tests (fakes with real behaviour, not mocks). */
import { VersionConflictError } from '../../shared/domain/errors.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { ClientCredential, ClientThrottle, Clock, IdempotencyClaim, IdempotencyStore, LinkFilter, LinkStore, Merchant, MerchantDirectory, Page, StoredResponse, ThrottleWindow } from '../../shared/domain/ports.js';

export class FixedClock implements Clock {
  constructor(private current: Date = new Date('2026-01-15T10:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export function sequentialIds(prefix = '00000000-0000-4000-8000-') {
  let n = 0;
  return { newId: () => `${prefix}${String(++n).padStart(12, '0')}` };
}

export class MemoryLinkStore implements LinkStore {
  readonly links = new Map<string, PaymentLink>();
  async create(link: PaymentLink): Promise<void> {
    if (this.links.has(link.id)) throw new Error('exists');
    this.links.set(link.id, structuredClone(link));
  }
  async get(id: string): Promise<PaymentLink | undefined> {
    const l = this.links.get(id);
    return l ? structuredClone(l) : undefined;
  }
  async update(link: PaymentLink, expectedVersion: number): Promise<void> {
    const current = this.links.get(link.id);
    if (!current || current.version !== expectedVersion) throw new VersionConflictError('conflict');
    this.links.set(link.id, structuredClone(link));
  }
  async list(entityId: string, filter: LinkFilter, limit: number): Promise<Page<PaymentLink>> {
    const items = [...this.links.values()]
      .filter((l) => l.entity_id === entityId)
      .filter((l) => !filter.status || l.status === filter.status)
      .filter((l) => !filter.order_reference || l.order.reference === filter.order_reference)
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
    return { items: items.slice(0, limit), next_cursor: null };
  }
}

export class MemoryMerchantDirectory implements MerchantDirectory {
  constructor(
    readonly merchants: Merchant[],
    readonly clients: ClientCredential[],
    readonly apiKeys: Record<string, string>,
  ) {}
  async getMerchant(entityId: string) {
    return this.merchants.find((m) => m.entity_id === entityId);
  }
  async getClient(clientId: string) {
    return this.clients.find((c) => c.client_id === clientId);
  }
  async entityForApiKey(digest: string) {
    return this.apiKeys[digest];
  }
}

/** Idempotency records as the Dynamo store keeps them: holder, lease, request id, 24-hour expiry. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, { hash: string; holder?: string; leaseUntil: number; requestId: string; expiresAt: number; response?: StoredResponse }>();
  private n = 0;
  constructor(private readonly clock: Clock = new FixedClock()) {}
  async claim(key: string, requestHash: string, times: { leaseUntil: Date; expiresAt: Date }): Promise<IdempotencyClaim> {
    const now = this.clock.now().getTime();
    const r = this.records.get(key);
    const holder = `holder-${++this.n}`;
    if (!r || r.expiresAt < now) {
      const requestId = `request-${this.n}`;
      this.records.set(key, { hash: requestHash, holder, leaseUntil: times.leaseUntil.getTime(), requestId, expiresAt: times.expiresAt.getTime() });
      return { state: 'claimed', holder, request_id: requestId, resumed: false };
    }
    if (!r.response && r.hash === requestHash && r.leaseUntil < now) {
      Object.assign(r, { holder, leaseUntil: times.leaseUntil.getTime() });
      return { state: 'claimed', holder, request_id: r.requestId, resumed: true };
    }
    return r.response
      ? { state: 'completed', request_hash: r.hash, response: r.response }
      : { state: 'in_progress', request_hash: r.hash };
  }
  async complete(key: string, holder: string, response: StoredResponse, expiresAt: Date): Promise<void> {
    const r = this.records.get(key);
    if (r?.holder === holder) Object.assign(r, { response, holder: undefined, expiresAt: expiresAt.getTime() });
  }
  async release(key: string, holder: string): Promise<void> {
    if (this.records.get(key)?.holder === holder) this.records.delete(key);
  }
}

/** Failed-attempt counters per key and window, with the Dynamo adapter's conditions. */
export class MemoryClientThrottle implements ClientThrottle {
  readonly counts = new Map<string, number>();
  async take(key: string, window: ThrottleWindow, limit: number): Promise<boolean> {
    const at = `${key}@${window.start.toISOString()}`;
    const count = this.counts.get(at) ?? 0;
    if (count >= limit) return false;
    this.counts.set(at, count + 1);
    return true;
  }
  async giveBack(key: string, window: ThrottleWindow): Promise<void> {
    const at = `${key}@${window.start.toISOString()}`;
    const count = this.counts.get(at) ?? 0;
    if (count > 0) this.counts.set(at, count - 1);
  }
}

export const demoMerchant: Merchant = {
  entity_id: 'm-1',
  display_name: 'Shop One',
  default_expiry_minutes: 24 * 60,
  active: true,
};

import type {
  ClientSessionRequest,
  ClientSessionState,
  PaymentProvider,
  ProviderEvent,
  ProviderPayment,
} from '../../shared/providers/payment-provider.js';

/** A provider that records what Paylink asked of it (no HTTP), for domain tests. */
export class FakeProvider implements PaymentProvider {
  readonly name = 'fake';
  readonly sessions = new Map<string, ClientSessionState & { request: ClientSessionRequest }>();
  readonly voided: string[] = [];
  readonly refunded: Array<{ id: string; amount: number }> = [];
  failSettlement = 0;
  private n = 0;

  async createClientSession(request: ClientSessionRequest) {
    const id = `cs-${++this.n}`;
    this.sessions.set(id, { id, payment_link_id: request.payment_link_id, status: 'CREATED', request });
    return { id, redirect_url: `https://psp.example/pay/${id}` };
  }
  async getClientSession(id: string): Promise<ClientSessionState> {
    const s = this.sessions.get(id);
    if (!s) throw new Error('unknown session');
    return { id: s.id, payment_link_id: s.payment_link_id, status: s.status, ...(s.payment ? { payment: s.payment } : {}) };
  }
  /** The payments this provider holds: what getPayment confirms (see raise). */
  readonly payments = new Map<string, ProviderPayment>();
  /** The provider raises `event`: from now on it confirms its payment as the event describes it. */
  raise(event: ProviderEvent): ProviderEvent {
    this.payments.set(event.payment.id, structuredClone(event.payment));
    return event;
  }
  async getPayment(id: string): Promise<ProviderPayment | undefined> {
    const payment = this.payments.get(id);
    return payment && structuredClone(payment);
  }
  async voidPayment(id: string) {
    if (this.failSettlement-- > 0) throw new Error('provider unavailable');
    if (!this.voided.includes(id)) this.voided.push(id);
  }
  async refundPayment(id: string, amount: number) {
    if (this.failSettlement-- > 0) throw new Error('provider unavailable');
    if (!this.refunded.some((r) => r.id === id)) this.refunded.push({ id, amount });
  }
  verifyWebhook() {
    return { ok: true as const };
  }
  parseWebhook(raw: string): ProviderEvent {
    return JSON.parse(raw) as ProviderEvent;
  }
}

export function providerEvent(
  linkId: string,
  paymentId: string,
  authorization_status: ProviderPayment['authorization_status'],
  extra: Partial<ProviderPayment> & { event_id?: string } = {},
): ProviderEvent {
  const { event_id, ...payment } = extra;
  return {
    provider: 'fake',
    event_id: event_id ?? `evt-${paymentId}-${authorization_status}`,
    occurred_at: '2026-01-15T10:00:00.000Z',
    payment: {
      id: paymentId,
      client_session_id: 'cs-1',
      payment_link_id: linkId,
      authorization_status,
      amount: 12000,
      currency: 'EUR',
      captured: false,
      created_at: '2026-01-15T10:00:00.000Z',
      ...payment,
    },
  };
}
