import { readFileSync } from 'node:fs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { buildEventsMarkdown, detailJsonSchema, exampleEvent } from '../../docs/events.js';
import { putEventsEntries } from '../../shared/adapters/event-bus.js';
import { linkItem } from '../../shared/adapters/link-store.js';
import { linkChangeFromRecord } from '../../shared/adapters/stream-records.js';
import { EVENT_DETAIL_EXAMPLES, EVENT_DETAIL_SCHEMAS, isDetailType } from '../../shared/domain/link/event-schemas.js';
import { DETAIL_TYPES, eventsForLinkChange } from '../../shared/domain/link/events.js';
import { applyProviderEvent, openForPayment } from '../../shared/domain/payments/link-payments.js';
import { applyLinkEvent } from '../../shared/domain/link/write.js';
import { cancelPaymentLink, createPaymentLink } from '../../shared/domain/link/commands.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import { createPaymentLinkSchema } from '../../shared/domain/link/schemas.js';
import { StaticProviderRegistry } from '../../shared/providers/registry.js';
import { FakeProvider, FixedClock, MemoryLinkStore, MemoryMerchantDirectory, demoMerchant, providerEvent, sequentialIds } from '../support/fakes.js';
import { PURSE_CREATE_EXAMPLE } from '../support/fixtures.js';

const committed = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
const detailTypes = Object.values(DETAIL_TYPES);

describe('docs/events.md', () => {
  it('is what the schemas generate (run `npm run events` after changing an event schema)', () => {
    expect(committed).toBe(buildEventsMarkdown());
  });

  it('lists every detail-type with its JSON Schema and an example', () => {
    for (const type of detailTypes) {
      expect(committed).toContain(`## ${type}`);
      expect(committed).toContain(JSON.stringify(detailJsonSchema(type), null, 2));
      expect(committed).toContain(JSON.stringify(exampleEvent(type), null, 2));
    }
  });
});

describe('event schemas', () => {
  it.each(detailTypes)('%s: has a schema, and its example validates', (type) => {
    expect(EVENT_DETAIL_SCHEMAS[type].safeParse(EVENT_DETAIL_EXAMPLES[type]).error).toBeUndefined();
    expect(exampleEvent(type)).toMatchObject({ source: 'paylink', 'detail-type': type, detail: EVENT_DETAIL_EXAMPLES[type] });
  });

  it('are closed: a detail with personal data or any other extra field is rejected', () => {
    const withEmail = { ...EVENT_DETAIL_EXAMPLES[DETAIL_TYPES.linkStatusChanged], email: 'jane.doe@example.com' };
    expect(EVENT_DETAIL_SCHEMAS[DETAIL_TYPES.linkStatusChanged].safeParse(withEmail).success).toBe(false);
    const withAddress = { ...EVENT_DETAIL_EXAMPLES[DETAIL_TYPES.notificationSent], address: '+33612345678' };
    expect(EVENT_DETAIL_SCHEMAS[DETAIL_TYPES.notificationSent].safeParse(withAddress).success).toBe(false);
  });

  it('know the published detail-types and nothing else', () => {
    expect(Object.keys(EVENT_DETAIL_SCHEMAS).sort()).toEqual([...detailTypes].sort());
    expect(isDetailType('Payment Link Status Changed')).toBe(true);
    expect(isDetailType('toString')).toBe(false);
  });
});

// ── What the dispatcher publishes ─────────────────────────────────────────────────────────────

/** A link store that also emits what the table's stream would: every write as old and new images. */
class StreamingLinkStore extends MemoryLinkStore {
  readonly records: DynamoDBRecord[] = [];
  override async create(link: PaymentLink): Promise<void> {
    await super.create(link);
    this.emit(undefined, link);
  }
  override async update(link: PaymentLink, expectedVersion: number): Promise<void> {
    const old = this.links.get(link.id);
    await super.update(link, expectedVersion);
    this.emit(old, link);
  }
  private emit(old: PaymentLink | undefined, next: PaymentLink) {
    const image = (l: PaymentLink) =>
      marshall(linkItem(structuredClone(l)), { removeUndefinedValues: true }) as Record<string, AttributeValue>;
    this.records.push({
      eventName: old ? 'MODIFY' : 'INSERT',
      dynamodb: {
        SequenceNumber: String(this.records.length + 1),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
        ...(old ? { OldImage: image(old) } : {}),
        NewImage: image(next),
      },
    });
  }
}

/** The customer's personal data, as a merchant would send it (the Purse example, plus a mobile). */
const MOBILE = '+33612345678';
const input = createPaymentLinkSchema.parse({
  ...PURSE_CREATE_EXAMPLE,
  entity_id: demoMerchant.entity_id,
  customer: { ...PURSE_CREATE_EXAMPLE.customer, mobile_phone_number: MOBILE },
  send_by_email: true,
  send_by_sms: true,
});
const PERSONAL_VALUES = [
  'jane.doe@example.com',
  'Jane',
  'Marie',
  'Doe',
  MOBILE,
  '+33111111111',
  '+33222222222',
  '+33444444444',
  '123 Main Street',
  'Apartment 4B',
  'Paris',
  '75001',
  '1992-05-20',
  '203.0.113.195',
  'CUST-12345',
];

/**
 * Three links through the domain functions the handlers call: one paid (opened, payment pending,
 * authorized) and then paid again in another tab (a late, captured payment: refunded), then named by
 * an authorization from a session it never opened (a mismatch: voided); one refused
 * once, then cancelled, then authorized (a late payment: voided); one that expires unopened.
 */
async function publishedEntries() {
  const store = new StreamingLinkStore();
  const clock = new FixedClock();
  const provider = new FakeProvider();
  const providers = new StaticProviderRegistry([provider]);
  const merchants = new MemoryMerchantDirectory([demoMerchant], [], {});
  const urls = { apiBaseUrl: 'https://api.example.com', payBaseUrl: 'https://pay.example.com' };
  const deps = { links: store, clock, providers, merchants, urls, ids: sequentialIds(), urlPolicy: 'production' as const };
  const step = () => clock.advance(30_000);

  const paid = await createPaymentLink(input, demoMerchant, deps);
  step();
  await openForPayment(paid.id, deps);
  step();
  await applyProviderEvent(provider.raise(providerEvent(paid.id, 'pay-1', 'PENDING', { client_session_id: 'cs-1' })), deps);
  step();
  await applyProviderEvent(provider.raise(providerEvent(paid.id, 'pay-1', 'AUTHORIZED', { client_session_id: 'cs-1' })), deps);
  step();
  await openForPayment(paid.id, deps); // the customer URL of a PAID link: nothing changes
  await applyProviderEvent(provider.raise(providerEvent(paid.id, 'pay-2', 'AUTHORIZED', { client_session_id: 'cs-1', captured: true })), deps);
  step();
  // A signed authorization from a session the link never opened: recorded, published, voided; nothing else changes.
  await applyProviderEvent(provider.raise(providerEvent(paid.id, 'pay-5', 'AUTHORIZED', { client_session_id: 'cs-elsewhere' })), deps);

  const cancelled = await createPaymentLink(input, demoMerchant, deps);
  step();
  await openForPayment(cancelled.id, deps);
  step();
  await applyProviderEvent(provider.raise(providerEvent(cancelled.id, 'pay-3', 'REFUSED', { client_session_id: 'cs-2' })), deps);
  step();
  await cancelPaymentLink(cancelled.id, demoMerchant, deps);
  await cancelPaymentLink(cancelled.id, demoMerchant, deps); // idempotent: no write, no event
  step();
  await applyProviderEvent(provider.raise(providerEvent(cancelled.id, 'pay-4', 'AUTHORIZED', { client_session_id: 'cs-2' })), deps);

  const expired = await createPaymentLink(input, demoMerchant, deps);
  step();
  await applyLinkEvent(async () => (await store.get(expired.id))!, { type: 'EXPIRE' }, deps);

  // What the dispatcher does with each stream record, then what it hands to PutEvents.
  const events = store.records.flatMap((record) => {
    const change = linkChangeFromRecord(record);
    return change ? eventsForLinkChange(change.old, change.new) : [];
  });
  return { events, entries: putEventsEntries(events, 'paylink-bus'), links: { paid, cancelled, expired }, records: store.records };
}

describe('what the dispatcher publishes', () => {
  it('validates against the schema of its detail-type, for every event of a realistic sequence', async () => {
    const { entries, events } = await publishedEntries();
    expect(entries.length).toBe(events.length);
    for (const [i, entry] of entries.entries()) {
      const type = entry.DetailType ?? '';
      expect(isDetailType(type), type).toBe(true);
      if (!isDetailType(type)) continue;
      const detail = JSON.parse(entry.Detail ?? 'null') as Record<string, unknown>;
      const parsed = EVENT_DETAIL_SCHEMAS[type].safeParse(detail);
      expect(parsed.error, `${type} ${entry.Detail}`).toBeUndefined();
      expect(entry.Source).toBe('paylink');
      // event_id is the deterministic id: link id + version (+ kind), as the schemas document.
      expect(detail.event_id).toBe(events[i]!.id);
      expect(String(detail.event_id).startsWith(`${String(detail.payment_link_id)}:${String(detail.version)}:`)).toBe(true);
    }
  });

  it('covers every detail-type the dispatcher publishes, through the whole life of the links', async () => {
    const { entries, links } = await publishedEntries();
    const summary = entries.map((e) => {
      const d = JSON.parse(e.Detail!) as Record<string, unknown>;
      const which = d.payment_link_id === links.paid.id ? 'paid' : d.payment_link_id === links.cancelled.id ? 'cancelled' : 'expired';
      const what = d.status ?? d.authorization_status ?? d.settlement;
      return `${which} v${String(d.version)} ${e.DetailType}: ${String(what)}`;
    });
    expect(summary).toEqual([
      'paid v1 Payment Link Status Changed: CREATED',
      'paid v2 Payment Link Status Changed: OPENED',
      'paid v3 Payment Link Status Changed: PAYMENT_IN_PROGRESS',
      'paid v3 Payment Status Changed: PENDING',
      'paid v4 Payment Link Status Changed: PAID',
      'paid v4 Payment Status Changed: AUTHORIZED',
      'paid v5 Payment Status Changed: AUTHORIZED',
      'paid v5 Payment Link Late Payment: REFUND',
      'paid v7 Payment Link Payment Mismatch: AUTHORIZED',
      'cancelled v1 Payment Link Status Changed: CREATED',
      'cancelled v2 Payment Link Status Changed: OPENED',
      'cancelled v3 Payment Status Changed: REFUSED',
      'cancelled v4 Payment Link Status Changed: CANCELLED',
      'cancelled v5 Payment Status Changed: AUTHORIZED',
      'cancelled v5 Payment Link Late Payment: VOID',
      'expired v1 Payment Link Status Changed: CREATED',
      'expired v2 Payment Link Status Changed: EXPIRED',
    ]);
  });

  it('carries no personal data: no email, phone, name or address of the customer in any detail', async () => {
    const { entries, records } = await publishedEntries();
    expect(entries.length).toBeGreaterThan(0);
    // The links themselves do carry all of it (so the search below is not vacuous).
    const images = JSON.stringify(records);
    for (const value of PERSONAL_VALUES) expect(images).toContain(value);
    for (const entry of entries) {
      const detail = entry.Detail ?? '';
      for (const value of PERSONAL_VALUES) expect(detail, `${entry.DetailType} leaks ${value}`).not.toContain(value);
      for (const key of Object.keys(JSON.parse(detail) as object)) expect(key).not.toMatch(/email|phone|name|address|customer|order/i);
    }
  });
});
