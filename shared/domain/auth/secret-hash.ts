/**
 * Hashing of merchant credentials. Client secrets are hashed with scrypt (salted, slow) because
 * people pick them; API keys are looked up by their SHA-256 digest, which is enough for long random
 * keys and lets the table be queried by key without a scan. Neither is ever stored or logged in clear.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

export function hashSecret(secret: string, salt: Buffer = randomBytes(16)): string {
  const key = scryptSync(secret, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const scryptAsync = (secret: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scrypt(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

/**
 * On every token request: the async scrypt runs on libuv's thread pool, so tens of milliseconds of
 * hashing never stall the event loop (the sandbox serves every function from one). Registration
 * (hashSecret) is a one-off and stays synchronous.
 */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

export function apiKeyDigest(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** A stand-in hash to compare against when the client id is unknown, so timing does not tell. */
export const UNKNOWN_CLIENT_HASH = hashSecret('paylink-unknown-client', Buffer.alloc(16));
