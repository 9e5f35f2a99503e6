/** A fixed set of providers by name; the first one listed opens new client sessions. */
import type { PaymentProvider, ProviderRegistry } from './payment-provider.js';

export class StaticProviderRegistry implements ProviderRegistry {
  private readonly byName: ReadonlyMap<string, PaymentProvider>;
  constructor(private readonly providers: PaymentProvider[]) {
    this.byName = new Map(providers.map((p) => [p.name, p]));
  }
  get(name: string): PaymentProvider | undefined {
    return this.byName.get(name);
  }
  default(): PaymentProvider {
    const first = this.providers[0];
    if (!first) throw new Error('no payment provider is configured');
    return first;
  }
}
