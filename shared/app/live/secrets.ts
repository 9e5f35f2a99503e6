/**
 * Live ports whose material is in Secrets Manager: token keys and redirection keys, read lazily and
 * cached for minutes (shared/adapters/secrets.ts). The providers' credentials are in live/providers.ts.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { JoseAccessTokens, parseSigningKeys } from '../../adapters/access-tokens.js';
import { JoseRedirectionSigner, parseRedirectionKeys, rotateKeys, type PrivateSigningJwk } from '../../adapters/redirection-keys.js';
import { lazySecret, readSecret, writeSecret } from '../../adapters/secrets.js';
import type { KeyRing } from '../../domain/ports.js';
import { systemClock } from '../ambient.js';
import { ENV, requiredEnv } from '../env.js';

let client: SecretsManagerClient | undefined;
/** One Secrets Manager client per container (live/providers.ts shares it). */
export const secrets = () => (client ??= new SecretsManagerClient({}));

export const tokens = () => new JoseAccessTokens(lazySecret(secrets(), requiredEnv(ENV.tokenKeysSecretArn), parseSigningKeys), systemClock);

export const redirection = () =>
  new JoseRedirectionSigner(lazySecret(secrets(), requiredEnv(ENV.redirectionKeysSecretArn), parseRedirectionKeys), systemClock);

/** The redirection keys themselves, for the rotator (an empty secret reads as no keys). */
export const redirectionKeys = (): KeyRing<PrivateSigningJwk> => {
  const secretId = requiredEnv(ENV.redirectionKeysSecretArn);
  return {
    read: async () => {
      const value = (await readSecret(secrets(), secretId)).trim();
      return value === '' || value === '[]' || value === '{}' ? [] : parseRedirectionKeys(value);
    },
    write: (keys) => writeSecret(secrets(), secretId, JSON.stringify(keys)),
    rotate: rotateKeys,
  };
};
