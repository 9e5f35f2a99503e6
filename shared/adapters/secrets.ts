/**
 * Secrets Manager: values are read at first use and cached for a few minutes, so a rotated key
 * reaches warm Lambda containers without a redeployment (and key activation delays can rely on it).
 */
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export const SECRET_CACHE_MS = 5 * 60 * 1000;

export function lazySecret<T>(
  client: SecretsManagerClient,
  secretId: string,
  parse: (value: string) => T,
  maxAgeMs = SECRET_CACHE_MS,
  now: () => number = Date.now,
): () => Promise<T> {
  let pending: Promise<T> | undefined;
  let readAt = 0;
  return () => {
    if (pending && now() - readAt > maxAgeMs) pending = undefined;
    if (!pending) {
      readAt = now();
      pending = readSecret(client, secretId)
        .then(parse)
        .catch((err: unknown) => {
          pending = undefined; // try again on the next request rather than caching a failure
          throw err;
        });
    }
    return pending;
  };
}

export async function readSecret(client: SecretsManagerClient, secretId: string): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  return out.SecretString ?? '';
}

export async function writeSecret(client: SecretsManagerClient, secretId: string, value: string): Promise<void> {
  await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
}
