/**
 * The merchant's link commands at their edges (mutation testing, issue 9): expiry and reminder
 * boundaries, what a link keeps, and isolation of a retried create under an Idempotency-Key.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.js';
import { createPaymentLink, listOwnLinks } from '../../shared/domain/link/commands.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import type { Merchant } from '../../shared/domain/ports.js';
import { FixedClock, MemoryLinkStore, demoMerchant, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';

const otherMerchant: Merchant = { entity_id: 'm-2', display_name: 'Shop Two', default_expiry_minutes: 60, active: true };

function setup() {
  const links = new MemoryLinkStore();
  const clock = new FixedClock(); // 2026-01-15T10:00:00.000Z
  return { links, clock, deps: { links, clock, ids: sequentialIds(), urlPolicy: 'production' as const } };
}

const input = (overrides: Record<string, unknown> = {}, merchant: Merchant = demoMerchant) =>
  createLinkBody({ entity_id: merchant.entity_id, ...overrides }) as CreatePaymentLinkInput;

async function fieldErrors(promise: Promise<unknown>): Promise<Record<string, string>> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ValidationError)) throw new Error(`expected a ValidationError, got ${String(err)}`);
  return Object.fromEntries(err.errors.map((e) => [e.pointer, e.detail]));
}

describe('create: boundaries', () => {
  it('refuses an expires_at equal to now (it must be in the future), accepts one a millisecond later', async () => {
    const { deps } = setup();
    expect(await fieldErrors(createPaymentLink(input({ expires_at: '2026-01-15T10:00:00.000Z' }), demoMerchant, deps))).toEqual({
      '/expires_at': 'must be in the future',
    });
    await expect(createPaymentLink(input({ expires_at: '2026-01-15T10:00:00.001Z' }), demoMerchant, deps)).resolves.toMatchObject({
      expires_at: '2026-01-15T10:00:00.001Z',
    });
  });

  it('accepts exactly 5 reminders and refuses 6', async () => {
    const { deps } = setup();
    const five = ['PT1H', 'PT2H', 'PT3H', 'PT4H', 'PT5H'];
    await expect(createPaymentLink(input({ reminder_schedule: five }), demoMerchant, deps)).resolves.toMatchObject({ reminder_schedule: five });
    expect(await fieldErrors(createPaymentLink(input({ reminder_schedule: [...five, 'PT6H'] }), demoMerchant, deps))).toEqual({
      '/reminder_schedule': 'at most 5 reminders',
    });
  });

  it('keeps the 3-D Secure options the merchant gave', async () => {
    const { deps, links } = setup();
    const options = { challenge_indicator: 'NO_CHALLENGE_REQUESTED', challenge_exemption: 'LOW_VALUE' };
    const link = await createPaymentLink(input({ three_ds_authentication_options: options }), demoMerchant, deps);
    expect((await links.get(link.id))?.three_ds_authentication_options).toEqual({ challenge_indicator: 'NO_CHALLENGE_REQUESTED', challenge_exemption: 'LOW_VALUE' });
  });
});

describe('create under an Idempotency-Key', () => {
  it('a re-run after a crash answers the link the dead attempt wrote, even once its expiry has passed', async () => {
    const { deps, links, clock } = setup();
    const body = input({ expires_at: '2026-01-15T10:10:00.000Z' });
    const first = await createPaymentLink(body, demoMerchant, deps, { id: 'request-1', resumed: false });
    clock.advance(11 * 60_000); // the body's expires_at is now in the past: validating again would refuse it
    const again = await createPaymentLink(body, demoMerchant, deps, { id: 'request-1', resumed: true });
    expect(again).toEqual(first);
    expect(again).toMatchObject({ id: 'request-1', entity_id: 'm-1', created_at: '2026-01-15T10:00:00.000Z' });
    expect([...links.links.keys()]).toEqual(['request-1']);
  });

  it('an attempt taken over while only slow answers the link the other attempt wrote first, not an error', async () => {
    const { deps, links, clock } = setup();
    const first = await createPaymentLink(input(), demoMerchant, deps, { id: 'request-2', resumed: false });
    clock.advance(1_000);
    await expect(createPaymentLink(input(), demoMerchant, deps, { id: 'request-2', resumed: false })).resolves.toEqual(first);
    expect(links.links.size).toBe(1);
  });

  it('never answers another merchant’s link, whether resumed or racing', async () => {
    const { deps, links } = setup();
    const theirs = await createPaymentLink(input({}, otherMerchant), otherMerchant, deps, { id: 'shared-id', resumed: false });
    for (const resumed of [true, false]) {
      const outcome = await createPaymentLink(input(), demoMerchant, deps, { id: 'shared-id', resumed }).then(
        (link) => ({ link }),
        (error: unknown) => ({ error }),
      );
      expect(outcome).not.toHaveProperty('link');
      expect(outcome).toEqual({ error: new Error('exists') });
    }
    expect(await links.get('shared-id')).toEqual(theirs);
    expect(theirs.entity_id).toBe('m-2');
  });

  it('without a key, a failed write reports the store’s own error', async () => {
    const { deps, links } = setup();
    const failing = { ...deps, links: { ...links, get: links.get.bind(links), list: links.list.bind(links), update: links.update.bind(links), create: () => Promise.reject(new Error('table unavailable')) } };
    await expect(createPaymentLink(input(), demoMerchant, failing)).rejects.toThrow('table unavailable');
  });
});

describe('listOwnLinks', () => {
  it('lists only the merchant’s own links', async () => {
    const { deps, links } = setup();
    const mine = await createPaymentLink(input(), demoMerchant, deps);
    await createPaymentLink(input({}, otherMerchant), otherMerchant, deps);
    const page = await listOwnLinks(demoMerchant, {}, 10, undefined, links);
    expect(page).toEqual({ items: [mine], next_cursor: null });
    expect(page.items.map((l) => l.entity_id)).toEqual(['m-1']);
  });
});
