/**
 * The sandbox's keys, on disk next to its data so tokens and redirection tokens stay valid across a
 * restart (in memory without a data directory). The redirection keys sit behind the same KeyRing
 * port that the rotator function uses on AWS, so `npm start` runs that function's `ensure` too.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSigningKeys, type SigningKey } from '../shared/adapters/access-tokens.js';
import { parseRedirectionKeys, rotateKeys, type PrivateSigningJwk } from '../shared/adapters/redirection-keys.js';
import type { KeyRing } from '../shared/domain/ports.js';

export function loadOrCreateSigningKeys(dataDir: string | undefined): SigningKey[] {
  const fresh = () => JSON.stringify([{ kid: `sandbox-${randomBytes(4).toString('hex')}`, secret: randomBytes(48).toString('base64url') }]);
  if (!dataDir) return parseSigningKeys(fresh());
  const file = join(dataDir, 'token-keys.json');
  if (!existsSync(file)) writeFileSync(file, fresh(), { mode: 0o600 });
  return parseSigningKeys(readFileSync(file, 'utf8'));
}

/** The redirection key list in dataDir/redirection-keys.json (or in memory), read once and kept. */
export function redirectionKeyRing(dataDir: string | undefined): KeyRing<PrivateSigningJwk> {
  const file = dataDir ? join(dataDir, 'redirection-keys.json') : undefined;
  let keys: PrivateSigningJwk[] | undefined;
  return {
    read: async () => (keys ??= file && existsSync(file) ? parseRedirectionKeys(readFileSync(file, 'utf8')) : []),
    write: async (next) => {
      if (file) writeFileSync(file, JSON.stringify(next), { mode: 0o600 });
      keys = next;
    },
    rotate: rotateKeys,
  };
}
