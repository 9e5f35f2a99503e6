import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { JoseRedirectionSigner, generateRedirectionKey, publicJwk, rotateKeys } from '../../shared/adapters/redirection-keys.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { applyProviderEvent, openForPayment, shopperReturn } from '../../shared/domain/payments/link-payments.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import { StaticProviderRegistry } from '../../shared/providers/registry.js';
import { FakeProvider, FixedClock, MemoryLinkStore, MemoryMerchantDirectory, demoMerchant, providerEvent, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';
import { forceStatus } from '../support/payment-links.js';

const urls = { apiBaseUrl: 'https://api.example.com', payBaseUrl: 'https://pay.example.com' };

async function setup(overrides: Record<string, unknown> = {}) {
  const links = new MemoryLinkStore();
  const clock = new FixedClock();
  const provider = new FakeProvider();
  const providers = new StaticProviderRegistry([provider]);
  const merchants = new MemoryMerchantDirectory([demoMerchant], [], {});
  const link = await createPaymentLink(createLinkBody({ entity_id: demoMerchant.entity_id, ...overrides }) as CreatePaymentLinkInput, demoMerchant, {
    links,
    clock,
    ids: sequentialIds(),
    urlPolicy: 'production',
  });
  const deps = { links, clock, providers, merchants, urls };
  return { links, clock, provider, providers, link, deps };
}

describe('openForPayment', () => {
  it('opens a CREATED link with a client session and sends the shopper to the hosted page', async () => {
    const { deps, link, provider, links } = await setup({ customer: { locale: 'fr-FR' } });
    const out = await openForPayment(link.id, deps);
    expect(out).toMatchObject({ kind: 'redirect', location: 'https://psp.example/pay/cs-1' });
    const stored = (await links.get(link.id))!;
    expect(stored).toMatchObject({ status: 'OPENED', version: 2, provider: 'fake', client_sessions: [{ id: 'cs-1', status: 'CREATED' }] });
    expect(provider.sessions.get('cs-1')?.request).toMatchObject({
      payment_link_id: link.id,
      amount: 12000,
      currency: 'EUR',
      locale: 'fr-FR',
      merchant_display_name: 'Shop One',
      return_url: `https://pay.example.com/payment-links/${link.id}/return`,
      retry_url: `https://pay.example.com/payment-links/${link.id}`,
    });
  });

  it('opens a new client session on every open of an OPENED link, without a status change', async () => {
    const { deps, link, links } = await setup();
    await openForPayment(link.id, deps);
    await openForPayment(link.id, deps);
    const stored = (await links.get(link.id))!;
    expect(stored.status).toBe('OPENED');
    expect(stored.client_sessions.map((s) => s.id)).toEqual(['cs-1', 'cs-2']);
  });

  it.each([
    ['PAID', 'paid'],
    ['PAYMENT_IN_PROGRESS', 'in_progress'],
    ['EXPIRED', 'gone'],
    ['CANCELLED', 'gone'],
  ] as const)('does not open a %s link (%s) and creates no session', async (status, kind) => {
    const { deps, link, links, provider } = await setup();
    await forceStatus(links, link.id, status);
    expect((await openForPayment(link.id, deps)).kind).toBe(kind);
    expect(provider.sessions.size).toBe(0);
  });

  it('treats a link past its expiry time as gone even before the workflow expires it', async () => {
    const { deps, link, clock, provider } = await setup({ expiration_in_minutes: 5 });
    clock.advance(5 * 60_000);
    expect((await openForPayment(link.id, deps)).kind).toBe('gone');
    expect(provider.sessions.size).toBe(0);
  });

  it('is not_found for an unknown id', async () => {
    const { deps } = await setup();
    expect(await openForPayment('nope', deps)).toEqual({ kind: 'not_found' });
  });
});

describe('applyProviderEvent', () => {
  async function opened() {
    const s = await setup();
    await openForPayment(s.link.id, s.deps);
    return s;
  }

  it('moves OPENED → PAYMENT_IN_PROGRESS → PAID and records the payment and session', async () => {
    const { deps, link, links, provider } = await opened();
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'PENDING')), deps);
    expect((await links.get(link.id))?.status).toBe('PAYMENT_IN_PROGRESS');
    const { outcome, link: paid } = await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED')), deps);
    expect(outcome).toBe('applied');
    expect(paid).toMatchObject({
      status: 'PAID',
      payments: [{ id: 'p-1', authorization_status: 'AUTHORIZED', client_session_id: 'cs-1' }],
      client_sessions: [{ id: 'cs-1', status: 'SUBMITTED' }],
    });
  });

  it('applies an event at most once', async () => {
    const { deps, link, links, provider } = await opened();
    const event = provider.raise(providerEvent(link.id, 'p-1', 'REFUSED'));
    await applyProviderEvent(event, deps);
    const after = await links.get(link.id);
    expect((await applyProviderEvent(event, deps)).outcome).toBe('duplicate');
    expect(await links.get(link.id)).toEqual(after);
  });

  it('never reverts PAID when a PENDING or REFUSED arrives late', async () => {
    const { deps, link, links, provider } = await opened();
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED')), deps);
    expect((await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'PENDING')), deps)).outcome).toBe('stale');
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-0', 'REFUSED')), deps); // an older attempt, reported late
    expect(await links.get(link.id)).toMatchObject({ status: 'PAID' });
  });

  it('returns a refused attempt to OPENED, unless another attempt is still in progress', async () => {
    const { deps, link, links, provider } = await opened();
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'PENDING')), deps);
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'REFUSED')), deps);
    expect((await links.get(link.id))?.status).toBe('OPENED');
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-2', 'PENDING')), deps);
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-3', 'REFUSED')), deps);
    expect((await links.get(link.id))?.status).toBe('PAYMENT_IN_PROGRESS');
  });

  it('voids a late authorization of a paid link and records it, once', async () => {
    const { deps, link, links, provider } = await opened();
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED')), deps);
    const { outcome } = await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-2', 'AUTHORIZED')), deps);
    expect(outcome).toBe('late_payment');
    expect(provider.voided).toEqual(['p-2']);
    const stored = (await links.get(link.id))!;
    expect(stored.status).toBe('PAID');
    expect(stored.payments.find((p) => p.id === 'p-2')).toMatchObject({ authorization_status: 'AUTHORIZED', late_settlement: 'VOIDED' });
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-2', 'AUTHORIZED')), deps);
    expect(provider.voided).toEqual(['p-2']);
  });

  it('refunds a late captured payment of a cancelled link', async () => {
    const { deps, link, links, provider } = await opened();
    await forceStatus(links, link.id, 'CANCELLED');
    await applyProviderEvent(provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED', { captured: true, amount: 12000 })), deps);
    expect(provider.refunded).toEqual([{ id: 'p-1', amount: 12000 }]);
    expect((await links.get(link.id))).toMatchObject({ status: 'CANCELLED', payments: [{ late_settlement: 'REFUNDED' }] });
  });

  it('retries the settlement on redelivery when the provider failed the first time', async () => {
    const { deps, link, links, provider } = await opened();
    await forceStatus(links, link.id, 'EXPIRED');
    provider.failSettlement = 1;
    const event = provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED'));
    await expect(applyProviderEvent(event, deps)).rejects.toThrow('provider unavailable');
    expect((await links.get(link.id))?.payments[0]?.late_settlement).toBe('VOID_PENDING');
    expect((await applyProviderEvent(event, deps)).outcome).toBe('duplicate');
    expect(provider.voided).toEqual(['p-1']);
    expect((await links.get(link.id))?.payments[0]?.late_settlement).toBe('VOIDED');
  });

  it('lets exactly one of N concurrent authorizations pay the link; the others are voided', async () => {
    const { deps, link, links, provider } = await opened();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => applyProviderEvent(provider.raise(providerEvent(link.id, `p-${i}`, 'AUTHORIZED')), deps)),
    );
    expect(results.filter((r) => r.outcome === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'late_payment')).toHaveLength(5);
    expect(provider.voided).toHaveLength(5);
    const stored = (await links.get(link.id))!;
    expect(stored.status).toBe('PAID');
    expect(stored.payments.filter((p) => p.late_settlement === 'VOIDED')).toHaveLength(5);
  });

  it('fails for an unknown link (the message goes to the DLQ)', async () => {
    const { deps, provider } = await setup();
    await expect(applyProviderEvent(provider.raise(providerEvent('missing', 'p-1', 'AUTHORIZED')), deps)).rejects.toThrow(/no payment link/);
  });
});

describe('redirection tokens', () => {
  it('are ES256 compact JWS with a kid, verifiable with the published key', async () => {
    const key = await generateRedirectionKey('k-1');
    const signer = new JoseRedirectionSigner(async () => [key], new FixedClock(new Date()));
    const token = await signer.sign(
      { payment_link_id: 'l', client_session_id: 'cs', payment_id: 'p', authorization_status: 'AUTHORIZED', client_session_status: 'SUBMITTED' },
      'm-1',
    );
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: 'k-1' });
    const [jwk] = await signer.publicKeys();
    expect(jwk).not.toHaveProperty('d');
    expect(jwk).toMatchObject({ kid: 'k-1', alg: 'ES256', use: 'sig', kty: 'EC' });
    const { payload } = await jwtVerify(token, await importJWK(jwk!, 'ES256'), { issuer: 'paylink', audience: 'm-1' });
    expect(payload).toMatchObject({ payment_link_id: 'l', authorization_status: 'AUTHORIZED', client_session_status: 'SUBMITTED' });
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('keep signing with the old key while a rotated-in key is too young, and publish both', async () => {
    const clock = new FixedClock(new Date('2026-06-01T00:00:00Z'));
    const old = await generateRedirectionKey('old', new Date('2026-01-01T00:00:00Z'));
    const keys = await rotateKeys([old], clock.now());
    const signer = new JoseRedirectionSigner(async () => keys, clock);
    const claims = { payment_link_id: 'l', client_session_id: 'cs', payment_id: null, authorization_status: null, client_session_status: 'CREATED' };
    expect(decodeProtectedHeader(await signer.sign(claims, 'm')).kid).toBe('old');
    expect((await signer.publicKeys()).map((k) => k.kid)).toEqual([keys[0]!.kid, 'old']);
    clock.advance(2 * 60 * 60 * 1000);
    expect(decodeProtectedHeader(await signer.sign(claims, 'm')).kid).toBe(keys[0]!.kid);
    expect(publicJwk(old)).not.toHaveProperty('d');
    expect(publicJwk(old)).not.toHaveProperty('created_at');
  });
});

describe('shopperReturn', () => {
  it('signs the session outcome and keeps the merchant URL’s query', async () => {
    const { deps, link, provider } = await setup({ shopper_redirection_url: 'https://shop.example/done?order=42' });
    await openForPayment(link.id, deps);
    provider.sessions.get('cs-1')!.status = 'SUBMITTED';
    provider.sessions.get('cs-1')!.payment = { id: 'p-1', authorization_status: 'PENDING' };
    const key = await generateRedirectionKey('k');
    const { location } = await shopperReturn(link.id, 'cs-1', { ...deps, redirection: new JoseRedirectionSigner(async () => [key], deps.clock) });
    const url = new URL(location);
    expect(url.origin + url.pathname).toBe('https://shop.example/done');
    expect(url.searchParams.get('order')).toBe('42');
    expect(decodeJwt(url.searchParams.get('purse-redirection-data')!)).toMatchObject({
      payment_link_id: link.id,
      client_session_id: 'cs-1',
      payment_id: 'p-1',
      authorization_status: 'PENDING',
      client_session_status: 'SUBMITTED',
      aud: demoMerchant.entity_id,
    });
  });

  it('refuses a session that is not the link’s', async () => {
    const a = await setup();
    await openForPayment(a.link.id, a.deps);
    const key = await generateRedirectionKey('k');
    const deps = { ...a.deps, redirection: new JoseRedirectionSigner(async () => [key], a.deps.clock) };
    await expect(shopperReturn(a.link.id, 'cs-unknown', deps)).rejects.toBeInstanceOf(NotFoundError);
    await expect(shopperReturn('other', 'cs-1', deps)).rejects.toBeInstanceOf(NotFoundError);
  });
});
