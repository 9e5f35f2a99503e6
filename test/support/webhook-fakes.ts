/** In-memory merchant-webhook ports with real behaviour (conditional writes, recorded sends), for unit tests. */
import { VersionConflictError } from '../../shared/domain/errors.js';
import type { AttemptResult, WebhookDelivery } from '../../shared/domain/merchant-webhooks/delivery.js';
import type { DeliveryLocator, DeliveryMessage, DeliveryQueue, DeliveryStore, EndpointHealth, MerchantSecretStore, WebhookHttp } from '../../shared/domain/ports.js';

const key = (linkId: string, eventId: string) => `${linkId}/${eventId}`;

export class MemoryDeliveryStore implements DeliveryStore, DeliveryLocator {
  readonly items = new Map<string, WebhookDelivery>();
  /** Runs before the next update is checked (once): lets a test play a concurrent writer. */
  beforeNextUpdate: (() => void) | undefined;

  async createIfAbsent(delivery: WebhookDelivery): Promise<WebhookDelivery> {
    const k = key(delivery.payment_link_id, delivery.event_id);
    if (!this.items.has(k)) this.items.set(k, structuredClone(delivery));
    return structuredClone(this.items.get(k)!);
  }
  async locate(eventId: string): Promise<{ payment_link_id: string; entity_id: string } | undefined> {
    const d = [...this.items.values()].find((x) => x.event_id === eventId);
    return d ? { payment_link_id: d.payment_link_id, entity_id: d.entity_id } : undefined;
  }
  async get(paymentLinkId: string, eventId: string): Promise<WebhookDelivery | undefined> {
    const d = this.items.get(key(paymentLinkId, eventId));
    return d ? structuredClone(d) : undefined;
  }
  async listForLink(paymentLinkId: string): Promise<WebhookDelivery[]> {
    return [...this.items.values()].filter((d) => d.payment_link_id === paymentLinkId).map((d) => structuredClone(d));
  }
  async update(delivery: WebhookDelivery, expectedVersion: number): Promise<void> {
    const hook = this.beforeNextUpdate;
    this.beforeNextUpdate = undefined;
    hook?.();
    const k = key(delivery.payment_link_id, delivery.event_id);
    const current = this.items.get(k);
    if (!current || current.version !== expectedVersion) throw new VersionConflictError('conflict');
    this.items.set(k, structuredClone(delivery));
  }
  /** The stored delivery, for assertions. */
  one(d: Pick<WebhookDelivery, 'payment_link_id' | 'event_id'>): WebhookDelivery {
    const stored = this.items.get(key(d.payment_link_id, d.event_id));
    if (!stored) throw new Error('no such delivery');
    return structuredClone(stored);
  }
}

export class MemoryDeliveryQueue implements DeliveryQueue {
  readonly messages: Array<{ message: DeliveryMessage; delaySeconds: number }> = [];
  failNext = false;
  async enqueue(message: DeliveryMessage, delaySeconds = 0): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('queue unavailable');
    }
    this.messages.push({ message: structuredClone(message), delaySeconds });
  }
  take(): { message: DeliveryMessage; delaySeconds: number } | undefined {
    return this.messages.shift();
  }
}

export class MemorySecretStore implements MerchantSecretStore {
  constructor(readonly secrets: Record<string, string[]>) {}
  async signingSecrets(entityId: string): Promise<string[]> {
    const s = this.secrets[entityId];
    if (!s) throw new Error(`no secret for ${entityId}`);
    return [...s];
  }
  async rotate(): Promise<{ secret: string; previous_expires_at: string | null }> {
    throw new Error('not used by these tests');
  }
}

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** Answers from a script (the last answer repeats), recording every request. */
export class FakeWebhookHttp implements WebhookHttp {
  readonly requests: SentRequest[] = [];
  constructor(private readonly answers: Array<Partial<AttemptResult>> = [{ status_code: 200 }]) {}
  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
    this.requests.push({ url, headers: { ...headers }, body, timeoutMs });
    const answer = this.answers[Math.min(this.requests.length - 1, this.answers.length - 1)] ?? { status_code: 200 };
    return { status_code: null, duration_ms: 12, error: null, ...answer };
  }
}

/** Endpoints marked gone (410), in memory. */
export class MemoryEndpointHealth implements EndpointHealth {
  readonly gone = new Map<string, string>();
  async goneSince(entityId: string, url: string): Promise<string | undefined> {
    return this.gone.get(`${entityId} ${url}`);
  }
  async markGone(entityId: string, url: string, at: Date): Promise<void> {
    if (!this.gone.has(`${entityId} ${url}`)) this.gone.set(`${entityId} ${url}`, at.toISOString());
  }
  async clear(entityId: string, url: string): Promise<void> {
    this.gone.delete(`${entityId} ${url}`);
  }
}
