/** For the payment unit tests: a link created on in-memory ports and opened at the fake provider. */
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { PaymentLink } from '../../shared/domain/link/model.js';
import type { CreatePaymentLinkInput } from '../../shared/domain/link/schemas.js';
import { applyProviderEvent, openForPayment } from '../../shared/domain/payments/link-payments.js';
import { StaticProviderRegistry } from '../../shared/providers/registry.js';
import { FakeProvider, FixedClock, MemoryLinkStore, MemoryMerchantDirectory, demoMerchant, providerEvent, sequentialIds } from './fakes.js';
import { createLinkBody } from './fixtures.js';

export const TEST_URLS = { apiBaseUrl: 'https://api.example.com', payBaseUrl: 'https://pay.example.com' };

/**
 * A link (createLinkBody and `overrides`: 12,000 EUR by default) opened `sessions` times (client
 * sessions cs-1, cs-2, ...), with `apply` to apply a provider event the fake provider confirms.
 */
export async function openedLink(sessions = 1, overrides: Record<string, unknown> = {}) {
  const links = new MemoryLinkStore();
  const clock = new FixedClock();
  const provider = new FakeProvider();
  const deps = { links, clock, providers: new StaticProviderRegistry([provider]), merchants: new MemoryMerchantDirectory([demoMerchant], [], {}), urls: TEST_URLS };
  const body = createLinkBody({ entity_id: demoMerchant.entity_id, ...overrides }) as CreatePaymentLinkInput;
  const created = await createPaymentLink(body, demoMerchant, { links, clock, ids: sequentialIds(), urlPolicy: 'production' });
  for (let i = 0; i < sessions; i++) await openForPayment(created.id, deps);
  const link = (await links.get(created.id))!;
  const stored = async () => (await links.get(link.id))!;
  const apply = (paymentId: string, status: Parameters<typeof providerEvent>[2], extra: Parameters<typeof providerEvent>[3] = {}) =>
    applyProviderEvent(provider.raise(providerEvent(link.id, paymentId, status, extra)), deps);
  return { links, clock, provider, deps, link, stored, apply };
}

/** Sets a link's status directly (a state reached by another path). */
export async function forceStatus(links: MemoryLinkStore, id: string, status: PaymentLink['status']): Promise<void> {
  const l = (await links.get(id))!;
  await links.update({ ...l, status, version: l.version + 1 }, l.version);
}
