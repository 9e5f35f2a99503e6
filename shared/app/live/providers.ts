/**
 * The live payment providers, from their configuration secret, read at cold start (webhook
 * verification needs them synchronously). Its own module, so functions without the providers port
 * bundle none of the provider adapters.
 */
import { readSecret } from '../../adapters/secrets.js';
import { providersFromConfig } from '../../providers/config.js';
import type { ProviderRegistry } from '../../providers/payment-provider.js';
import { ENV, requiredEnv } from '../env.js';
import { secrets } from './secrets.js';

export const providers = async (): Promise<ProviderRegistry> => providersFromConfig(await readSecret(secrets(), requiredEnv(ENV.providerConfigSecretArn)));
