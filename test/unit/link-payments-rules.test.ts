/**
 * The shopper's side of a link at its edges (mutation testing, issue 9): opening a link that moves
 * on meanwhile, defaults of the hosted page, and which returns are accepted and what they apply.
 */
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { JoseRedirectionSigner, generateRedirectionKey } from '../../shared/adapters/redirection-keys.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import { openForPayment, shopperReturn } from '../../shared/domain/payments/link-payments.js';
import type { ClientSessionRequest } from '../../shared/providers/payment-provider.js';
import { StaticProviderRegistry } from '../../shared/providers/registry.js';
import { FakeProvider, FixedClock, MemoryLinkStore, MemoryMerchantDirectory, demoMerchant, providerEvent, sequentialIds } from '../support/fakes.js';
import { createLinkBody } from '../support/fixtures.js';

const urls = { apiBaseUrl: 'https://api.example.com', payBaseUrl: 'https://pay.example.com' };

/** A provider during whose session creation something else happens to the link (another tab, the merchant). */
class RacingProvider extends FakeProvider {
  meanwhile: () => Promise<void> = async () => {};
  override async createClientSession(request: ClientSessionRequest) {
    const session = await super.createClientSession(request);
    await this.meanwhile();
    return session;
  }
}

async function setup(options: { merchants?: (typeof demoMerchant)[] } = {}) {
  const links = new MemoryLinkStore();
  const clock = new FixedClock();
  const provider = new RacingProvider();
  const merchants = new MemoryMerchantDirectory(options.merchants ?? [demoMerchant], [], {});
  const body = createLinkBody({ entity_id: demoMerchant.entity_id }) as CreatePaymentLinkInput;
  const link = await createPaymentLink(body, demoMerchant, { links, clock, ids: sequentialIds(), urlPolicy: 'production' });
  const deps = { links, clock, providers: new StaticProviderRegistry([provider]), merchants, urls };
  return { links, clock, provider, link, deps };
}

async function change(links: MemoryLinkStore, id: string, fields: Partial<PaymentLink>) {
  const l = (await links.get(id))!;
  await links.update({ ...l, ...fields, version: l.version + 1 }, l.version);
}

describe('openForPayment', () => {
  it('answers the link as opened: OPENED, version 2, with its client session', async () => {
    const { deps, link } = await setup();
    const out = await openForPayment(link.id, deps);
    expect(out).toMatchObject({
      kind: 'redirect',
      location: 'https://psp.example/pay/cs-1',
      link: { id: link.id, status: 'OPENED', version: 2, provider: 'fake', client_sessions: [{ id: 'cs-1', status: 'CREATED' }] },
    });
  });

  it('opens the hosted page in English, named after the entity, when neither customer locale nor merchant name is known', async () => {
    const { deps, link, provider } = await setup({ merchants: [] });
    await openForPayment(link.id, deps);
    expect(provider.sessions.get('cs-1')?.request).toMatchObject({ locale: 'en', merchant_display_name: 'm-1' });
  });

  it('fails, naming the provider, when the link’s provider is no longer configured', async () => {
    const { deps, link, links, provider } = await setup();
    await change(links, link.id, { status: 'OPENED', provider: 'retired-psp' });
    await expect(openForPayment(link.id, deps)).rejects.toThrow('payment provider retired-psp is not configured');
    expect(provider.sessions.size).toBe(0);
  });

  it.each([
    ['PAID', 'paid'],
    ['CANCELLED', 'gone'],
  ] as const)('shows a link that became %s while its session was created as %s, and records no session', async (status, kind) => {
    const { deps, link, links, provider } = await setup();
    provider.meanwhile = () => change(links, link.id, { status });
    const out = await openForPayment(link.id, deps);
    expect(out).toMatchObject({ kind, link: { status, version: 2, client_sessions: [] } });
    expect(await links.get(link.id)).toMatchObject({ status, version: 2, client_sessions: [] });
    expect(await links.get(link.id)).not.toHaveProperty('provider');
  });
});

describe('shopperReturn', () => {
  async function opened(times = 1) {
    const s = await setup();
    for (let i = 0; i < times; i++) await openForPayment(s.link.id, s.deps);
    const key = await generateRedirectionKey('k');
    const returnDeps = { ...s.deps, redirection: new JoseRedirectionSigner(async () => [key], s.deps.clock) };
    return { ...s, returnDeps };
  }
  const claimsOf = (location: string) => decodeJwt(new URL(location).searchParams.get('purse-redirection-data')!);

  it('before any payment: signs null payment fields, applies nothing and reports no error', async () => {
    const { link, links, returnDeps } = await opened();
    const out = await shopperReturn(link.id, 'cs-1', returnDeps);
    expect(out.applied).toBeUndefined();
    expect(out.applyError).toBeUndefined();
    expect(claimsOf(out.location)).toMatchObject({ payment_link_id: link.id, client_session_id: 'cs-1', payment_id: null, authorization_status: null, client_session_status: 'CREATED' });
    expect((await links.get(link.id))?.status).toBe('OPENED');
  });

  it('applies nothing for a payment the provider does not know, and reports no error', async () => {
    const { link, links, provider, returnDeps } = await opened();
    provider.sessions.get('cs-1')!.payment = { id: 'p-ghost', authorization_status: 'AUTHORIZED' };
    const out = await shopperReturn(link.id, 'cs-1', returnDeps);
    expect(out.applied).toBeUndefined();
    expect(out.applyError).toBeUndefined();
    expect(await links.get(link.id)).toMatchObject({ status: 'OPENED', payments: [] });
  });

  it('applies each status of a payment once: a return after PENDING, then one after AUTHORIZED, pays the link', async () => {
    const { link, links, provider, returnDeps } = await opened();
    const session = provider.sessions.get('cs-1')!;
    session.status = 'SUBMITTED';
    session.payment = { id: 'p-1', authorization_status: 'PENDING' };
    provider.raise(providerEvent(link.id, 'p-1', 'PENDING'));
    expect((await shopperReturn(link.id, 'cs-1', returnDeps)).applied?.outcome).toBe('applied');
    expect((await links.get(link.id))?.status).toBe('PAYMENT_IN_PROGRESS');
    session.payment = { id: 'p-1', authorization_status: 'AUTHORIZED' };
    provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED'));
    expect((await shopperReturn(link.id, 'cs-1', returnDeps)).applied?.outcome).toBe('applied');
    expect(await links.get(link.id)).toMatchObject({ status: 'PAID', payments: [{ id: 'p-1', authorization_status: 'AUTHORIZED' }] });
    expect((await shopperReturn(link.id, 'cs-1', returnDeps)).applied?.outcome).toBe('duplicate');
  });

  it('accepts a return from any of the link’s sessions, not only the latest', async () => {
    const { link, returnDeps } = await opened(2);
    expect(claimsOf((await shopperReturn(link.id, 'cs-1', returnDeps)).location)).toMatchObject({ client_session_id: 'cs-1' });
    expect(claimsOf((await shopperReturn(link.id, 'cs-2', returnDeps)).location)).toMatchObject({ client_session_id: 'cs-2' });
  });

  it('is not found when the link’s provider is no longer configured', async () => {
    const { link, returnDeps } = await opened();
    await expect(shopperReturn(link.id, 'cs-1', { ...returnDeps, providers: new StaticProviderRegistry([]) })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('is not found, and applies nothing, when the provider says the session belongs to another link', async () => {
    const { link, links, provider, returnDeps } = await opened();
    const session = provider.sessions.get('cs-1')!;
    session.payment_link_id = 'another-link';
    session.payment = { id: 'p-1', authorization_status: 'AUTHORIZED' };
    provider.raise(providerEvent(link.id, 'p-1', 'AUTHORIZED'));
    await expect(shopperReturn(link.id, 'cs-1', returnDeps)).rejects.toBeInstanceOf(NotFoundError);
    expect(await links.get(link.id)).toMatchObject({ status: 'OPENED', payments: [] });
  });
});
