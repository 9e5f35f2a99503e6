import { describe, expect, it } from 'vitest';
import { eventsForLinkChange } from '../../shared/domain/link-events.js';
import type { PaymentLink } from '../../shared/domain/payment-link.js';
import { createLogger, redact } from '../../shared/logger.js';

describe('log redaction', () => {
  it('masks secrets and personal data by key and by shape', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    log.info('hello', {
      client_secret: 's3cret',
      headers: { authorization: 'Bearer abc', 'x-api-key': 'k' },
      customer: { email: 'jane@example.com', first_name: 'Jane', locale: 'fr-FR' },
      note: 'call +33612345678 or jane@example.com, card 4242424242424242',
    });
    const out = lines.join('\n');
    for (const leaked of ['s3cret', 'Bearer abc', '"k"', 'jane@example.com', 'Jane', '+33612345678', '4242424242424242']) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain('fr-FR');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', message: 'hello' });
  });

  it('keeps errors readable without their secrets', () => {
    const r = redact({ error: new Error('user bob@example.com failed') }) as { error: { message: string } };
    expect(r.error.message).toBe('user ***@*** failed');
  });

  it('respects the level', () => {
    const lines: string[] = [];
    createLogger({ level: 'warn', write: (l) => lines.push(l) }).info('quiet');
    expect(lines).toEqual([]);
  });
});

describe('events for a link change', () => {
  const link = (status: PaymentLink['status'], version: number) =>
    ({ id: 'l-1', entity_id: 'm-1', status, version, updated_at: '2026-01-01T00:00:00.000Z', customer: { email: 'a@b.c' } }) as PaymentLink;

  it('publishes a status change with a deterministic id and no personal data', () => {
    const [event, ...rest] = eventsForLinkChange(link('CREATED', 1), link('CANCELLED', 2));
    expect(rest).toEqual([]);
    expect(event).toEqual({
      id: 'l-1:2:link-status',
      source: 'paylink',
      'detail-type': 'Payment Link Status Changed',
      detail: { payment_link_id: 'l-1', entity_id: 'm-1', status: 'CANCELLED', previous_status: 'CREATED', version: 2 },
      time: '2026-01-01T00:00:00.000Z',
    });
    expect(JSON.stringify(event)).not.toContain('a@b.c');
  });

  it('publishes creation, and nothing when the status did not change or the item was removed', () => {
    expect(eventsForLinkChange(undefined, link('CREATED', 1))[0]?.detail).toMatchObject({ status: 'CREATED', previous_status: null });
    expect(eventsForLinkChange(link('OPENED', 2), link('OPENED', 3))).toEqual([]);
    expect(eventsForLinkChange(link('OPENED', 2), undefined)).toEqual([]);
  });
});
