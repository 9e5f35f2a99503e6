/**
 * Payment providers from their configuration secret: {"providers":[{"name":"sandbox","base_url",
 * "api_key","webhook_secret"}]} (the first one opens new client sessions).
 */
import type { ProviderRegistry } from './payment-provider.js';
import { StaticProviderRegistry } from './registry.js';
import { SandboxProvider } from './sandbox-provider.js';

export function providersFromConfig(json: string): ProviderRegistry {
  const config = JSON.parse(json) as { providers?: Array<Record<string, string>> };
  const providers = (config.providers ?? []).map((p) => {
    if (p.name === 'sandbox' && p.base_url && p.api_key && p.webhook_secret) {
      return new SandboxProvider({ baseUrl: p.base_url, apiKey: p.api_key, webhookSecret: p.webhook_secret });
    }
    throw new Error(`payment provider configuration for ${p.name ?? '(unnamed)'} is not usable`);
  });
  return new StaticProviderRegistry(providers);
}
