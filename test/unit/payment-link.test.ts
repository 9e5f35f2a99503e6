import { describe, expect, it } from 'vitest';
import { ForbiddenError, InvalidTransitionError, NotFoundError, ValidationError, VersionConflictError } from '../../shared/domain/errors.js';
import { applyLinkEvent } from '../../shared/domain/link/write.js';
import { cancelPaymentLink, createPaymentLink, getOwnLink } from '../../shared/domain/link/commands.js';
import { toResource } from '../../shared/domain/link/resource.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import { paymentLinkResourceSchema, type CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import { FixedClock, MemoryLinkStore, demoMerchant, sequentialIds } from '../support/fakes.js';
import { PURSE_CREATE_EXAMPLE, createLinkBody } from '../support/fixtures.js';

function setup(urlPolicy: 'sandbox' | 'production' = 'production') {
  const links = new MemoryLinkStore();
  const clock = new FixedClock();
  return { links, clock, deps: { links, clock, ids: sequentialIds(), urlPolicy } };
}

const input = (overrides: Record<string, unknown> = {}) =>
  createLinkBody({ entity_id: demoMerchant.entity_id, ...overrides }) as CreatePaymentLinkInput;

async function fieldErrors(promise: Promise<unknown>): Promise<Record<string, string>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ValidationError) return Object.fromEntries(err.errors.map((e) => [e.pointer, e.detail]));
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('createPaymentLink', () => {
  it('creates a CREATED link at version 1 with the merchant default expiry', async () => {
    const { deps, links } = setup();
    const link = await createPaymentLink(input(), demoMerchant, deps);
    expect(link).toMatchObject({ status: 'CREATED', version: 1, capture_mode: 'AUTOMATIC', allow_future_usage: false, payments: [], client_sessions: [] });
    expect(link.expires_at).toBe('2026-01-16T10:00:00.000Z');
    expect(await links.get(link.id)).toEqual(link);
  });

  it('applies expiration_in_minutes and keeps expires_at when given', async () => {
    const { deps } = setup();
    expect((await createPaymentLink(input({ expiration_in_minutes: 30 }), demoMerchant, deps)).expires_at).toBe('2026-01-15T10:30:00.000Z');
    expect((await createPaymentLink(input({ expires_at: '2026-01-20T12:00:00+02:00' }), demoMerchant, deps)).expires_at).toBe(
      '2026-01-20T10:00:00.000Z',
    );
  });

  it('refuses an entity_id that is not the caller’s', async () => {
    const { deps } = setup();
    await expect(createPaymentLink(input({ entity_id: 'someone-else' }), demoMerchant, deps)).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('validates currencies against ISO 4217', async () => {
    const { deps } = setup();
    expect(await fieldErrors(createPaymentLink(input({ currency: 'ABC' }), demoMerchant, deps))).toHaveProperty('/currency');
    expect(await fieldErrors(createPaymentLink(input({ currency: 'XAU' }), demoMerchant, deps))).toHaveProperty('/currency');
    await expect(createPaymentLink(input({ currency: 'JPY', amount: 1500 }), demoMerchant, deps)).resolves.toBeTruthy();
  });

  it('allows amount 0 only with allow_future_usage', async () => {
    const { deps } = setup();
    expect(await fieldErrors(createPaymentLink(input({ amount: 0 }), demoMerchant, deps))).toHaveProperty('/amount');
    await expect(createPaymentLink(input({ amount: 0, allow_future_usage: true }), demoMerchant, deps)).resolves.toMatchObject({ amount: 0 });
  });

  it('checks the expiry window', async () => {
    const { deps } = setup();
    expect(await fieldErrors(createPaymentLink(input({ expires_at: '2026-01-15T09:59:59Z' }), demoMerchant, deps))).toEqual({
      '/expires_at': 'must be in the future',
    });
    expect(await fieldErrors(createPaymentLink(input({ expires_at: '2026-04-15T10:00:01Z' }), demoMerchant, deps))).toEqual({
      '/expires_at': 'must be at most 90 days ahead',
    });
    await expect(createPaymentLink(input({ expires_at: '2026-04-15T10:00:00Z' }), demoMerchant, deps)).resolves.toBeTruthy();
    expect(
      await fieldErrors(createPaymentLink(input({ expires_at: '2026-01-16T00:00:00Z', expiration_in_minutes: 5 }), demoMerchant, deps)),
    ).toHaveProperty('/expiration_in_minutes');
  });

  it('applies the URL policy to redirection and webhook URLs', async () => {
    const prod = setup('production');
    const errors = await fieldErrors(
      createPaymentLink(
        input({ shopper_redirection_url: 'http://localhost:8080/back', webhook: { url: 'https://10.0.0.5/hook' } }),
        demoMerchant,
        prod.deps,
      ),
    );
    expect(Object.keys(errors).sort()).toEqual(['/shopper_redirection_url', '/webhook/url']);
    const sandbox = setup('sandbox');
    await expect(
      createPaymentLink(
        input({ shopper_redirection_url: 'http://localhost:8080/back', webhook: { url: 'http://127.0.0.1:9000/hook' } }),
        demoMerchant,
        sandbox.deps,
      ),
    ).resolves.toBeTruthy();
  });

  it('renders the Purse resource without the webhook (its headers may hold merchant secrets)', async () => {
    const { deps } = setup();
    const link = await createPaymentLink({ ...PURSE_CREATE_EXAMPLE, entity_id: demoMerchant.entity_id } as CreatePaymentLinkInput, demoMerchant, deps);
    const resource = toResource(link, { apiBaseUrl: 'https://api.example.com', payBaseUrl: 'https://pay.example.com' });
    expect(paymentLinkResourceSchema.safeParse(resource).success).toBe(true);
    expect(resource.links).toEqual({
      self: { href: `https://api.example.com/payment/v2/payment-links/${link.id}`, method: 'GET' },
      customer_url: { href: `https://pay.example.com/payment-links/${link.id}`, method: 'GET' },
      cancel: { href: `https://api.example.com/payment/v2/payment-links/${link.id}/cancel`, method: 'POST' },
    });
    expect(JSON.stringify(resource)).not.toContain('9bbce5d2');
    expect(resource).not.toHaveProperty('webhook');
    expect(link.webhook?.headers?.[1]?.values).toEqual(['9bbce5d2-501c-4fba-9442-3181efd2a7a3']);
  });
});

describe('getOwnLink', () => {
  it('hides other merchants’ links behind a 404', async () => {
    const { deps, links } = setup();
    const link = await createPaymentLink(input(), demoMerchant, deps);
    await expect(getOwnLink(link.id, { ...demoMerchant, entity_id: 'm-2' }, links)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getOwnLink('nope', demoMerchant, links)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getOwnLink(link.id, demoMerchant, links)).resolves.toEqual(link);
  });
});

describe('cancelPaymentLink', () => {
  async function linkIn(status: PaymentLink['status']) {
    const s = setup();
    const link = await createPaymentLink(input(), demoMerchant, s.deps);
    if (status !== 'CREATED') await s.links.update({ ...link, status, version: 2 }, 1);
    return { ...s, id: link.id };
  }

  it.each(['CREATED', 'OPENED', 'PAYMENT_IN_PROGRESS'] as const)('cancels a %s link and bumps the version', async (status) => {
    const { links, clock, id } = await linkIn(status);
    const before = await links.get(id);
    clock.advance(1000);
    const cancelled = await cancelPaymentLink(id, demoMerchant, { links, clock });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', version: before!.version + 1, updated_at: '2026-01-15T10:00:01.000Z' });
    expect(await links.get(id)).toEqual(cancelled);
  });

  it('is idempotent on a CANCELLED link: same version, no write', async () => {
    const { links, clock, id } = await linkIn('CREATED');
    const first = await cancelPaymentLink(id, demoMerchant, { links, clock });
    const second = await cancelPaymentLink(id, demoMerchant, { links, clock });
    expect(second).toEqual(first);
  });

  it.each(['PAID', 'EXPIRED'] as const)('refuses to cancel a %s link and changes nothing', async (status) => {
    const { links, clock, id } = await linkIn(status);
    const before = await links.get(id);
    await expect(cancelPaymentLink(id, demoMerchant, { links, clock })).rejects.toBeInstanceOf(InvalidTransitionError);
    expect(await links.get(id)).toEqual(before);
  });
});

describe('applyLinkEvent', () => {
  it('re-reads and decides again when a concurrent writer wins', async () => {
    const { links, clock, deps } = setup();
    const link = await createPaymentLink(input(), demoMerchant, deps);
    let reads = 0;
    const load = async () => {
      const current = (await links.get(link.id))!;
      if (reads++ === 0) await links.update({ ...current, status: 'OPENED', version: 2 }, 1); // someone else opens it first
      return current;
    };
    const { link: after } = await applyLinkEvent(load, { type: 'CANCEL' }, { links, clock });
    expect(reads).toBe(2);
    expect(after).toMatchObject({ status: 'CANCELLED', version: 3 });
  });

  it('gives up after repeated conflicts instead of looping forever', async () => {
    const { links, clock, deps } = setup();
    const link = await createPaymentLink(input(), demoMerchant, deps);
    const stale = (await links.get(link.id))!;
    await links.update({ ...stale, version: 2 }, 1);
    await expect(applyLinkEvent(async () => stale, { type: 'CANCEL' }, { links, clock })).rejects.toBeInstanceOf(VersionConflictError);
  });
});
