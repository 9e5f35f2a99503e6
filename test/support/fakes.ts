/** In-memory implementations of the ports, for pure unit tests (fakes with real behaviour, not mocks). */
import { VersionConflictError } from '../../shared/domain/errors.js';
import type { PaymentLink } from '../../shared/domain/payment-link.js';
import type {
  ClientCredential,
  Clock,
  IdempotencyClaim,
  IdempotencyStore,
  LinkFilter,
  LinkStore,
  Merchant,
  MerchantDirectory,
  Page,
  StoredResponse,
} from '../../shared/domain/ports.js';

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

export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, { hash: string; response?: StoredResponse }>();
  async claim(key: string, requestHash: string): Promise<IdempotencyClaim> {
    const r = this.records.get(key);
    if (!r) {
      this.records.set(key, { hash: requestHash });
      return { state: 'claimed' };
    }
    return r.response
      ? { state: 'completed', request_hash: r.hash, response: r.response }
      : { state: 'in_progress', request_hash: r.hash };
  }
  async complete(key: string, response: StoredResponse): Promise<void> {
    const r = this.records.get(key);
    if (r) r.response = response;
  }
  async release(key: string): Promise<void> {
    this.records.delete(key);
  }
}

export const demoMerchant: Merchant = {
  entity_id: 'm-1',
  display_name: 'Shop One',
  default_expiry_minutes: 24 * 60,
  active: true,
};
