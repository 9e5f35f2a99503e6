import { describe, expect, it } from 'vitest';
import { eventsForLinkChange } from '../../shared/domain/link/events.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
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
  const link = (status: PaymentLink['status'], version: number, payments: PaymentLink['payments'] = []) =>
    ({ id: 'l-1', entity_id: 'm-1', status, version, payments, updated_at: '2026-01-01T00:00:00.000Z', customer: { email: 'a@b.c' } }) as PaymentLink;

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

  it('publishes Payment Status Changed for each payment whose status moved', () => {
    const before = link('OPENED', 2, [{ id: 'p-1', authorization_status: 'PENDING', client_session_id: 'cs-1' }]);
    const after = link('PAID', 3, [{ id: 'p-1', authorization_status: 'AUTHORIZED', client_session_id: 'cs-1' }]);
    const events = eventsForLinkChange(before, after);
    expect(events.map((e) => e['detail-type'])).toEqual(['Payment Link Status Changed', 'Payment Status Changed']);
    expect(events[1]).toMatchObject({
      id: 'l-1:3:payment:p-1',
      detail: { payment_id: 'p-1', authorization_status: 'AUTHORIZED', previous_authorization_status: 'PENDING', client_session_id: 'cs-1', version: 3 },
    });
    // The same payment status again (another field changed) publishes nothing.
    expect(eventsForLinkChange(after, { ...after, version: 4 })).toEqual([]);
  });

  it('publishes a late payment once, when it is first recorded', () => {
    const paid = link('PAID', 3, [{ id: 'p-1', authorization_status: 'AUTHORIZED' }]);
    const late = link('PAID', 4, [...paid.payments, { id: 'p-2', authorization_status: 'AUTHORIZED', late_settlement: 'REFUND_PENDING' }]);
    const events = eventsForLinkChange(paid, late);
    expect(events.map((e) => e['detail-type'])).toEqual(['Payment Status Changed', 'Payment Link Late Payment']);
    expect(events[1]).toMatchObject({ id: 'l-1:4:late-payment:p-2', detail: { payment_id: 'p-2', link_status: 'PAID', settlement: 'REFUND' } });
    const settled = link('PAID', 5, [paid.payments[0]!, { id: 'p-2', authorization_status: 'AUTHORIZED', late_settlement: 'REFUNDED' }]);
    expect(eventsForLinkChange(late, settled)).toEqual([]);
  });
});


describe('log redaction keeps statuses', () => {
  it('does not mistake authorization_status for a credential', () => {
    expect(redact({ authorization_status: 'AUTHORIZED', Authorization: 'Bearer x' })).toEqual({ authorization_status: 'AUTHORIZED', Authorization: '[redacted]' });
  });
});
