/**
 * Redirection tokens signed with ES256 (jose). Key material is a list of private JWKs, newest
 * first, each with its `created_at`. All are published at the JWKS endpoint at once, but a new key
 * only starts signing once it is KEY_ACTIVATION_DELAY_MS old, so that every cache in between
 * (Lambda containers' copy of the secret, the JWKS response's max-age, merchants' JWKS caches)
 * has seen it before the first token it signs arrives. The previous key is kept (and published)
 * until the next rotation, long after its last token expired. On AWS the list lives in Secrets
 * Manager (written by the key rotator); the sandbox keeps it under .sandbox/.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Clock } from '../domain/ports.js';
import { REDIRECTION_ISSUER, REDIRECTION_TTL_SECONDS, type PublicJwk, type RedirectionClaims } from '../domain/payments/redirection.js';
import type { RedirectionSigner } from '../domain/ports.js';

export const REDIRECTION_ALG = 'ES256';
/** Published at most this many keys at once: the signing key and the one it replaced. */
export const MAX_PUBLISHED_KEYS = 2;
/** Longer than every cache of the key list or of the JWKS (minutes), generously. */
export const KEY_ACTIVATION_DELAY_MS = 60 * 60 * 1000;

export interface PrivateSigningJwk extends JWK {
  kid: string;
  d: string;
  /** When the key was generated (ISO 8601); a key without it counts as old. */
  created_at?: string;
}

/** The key that signs now: the newest one old enough to be known everywhere, else the oldest. */
export function activeSigningKey(keys: PrivateSigningJwk[], now: Date): PrivateSigningJwk | undefined {
  const age = (k: PrivateSigningJwk) => now.getTime() - (k.created_at ? Date.parse(k.created_at) : 0);
  const byNewest = [...keys].sort((a, b) => age(a) - age(b));
  return byNewest.find((k) => age(k) >= KEY_ACTIVATION_DELAY_MS) ?? byNewest[byNewest.length - 1];
}

export async function generateRedirectionKey(
  kid = `rk-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`,
  createdAt: Date = new Date(),
): Promise<PrivateSigningJwk> {
  const { privateKey } = await generateKeyPair(REDIRECTION_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid, alg: REDIRECTION_ALG, use: 'sig', created_at: createdAt.toISOString() } as PrivateSigningJwk;
}

/**
 * The stored list after rotating: a new key first (published now, signing after the activation
 * delay) and the current signing key kept. Older keys are dropped.
 */
export async function rotateKeys(current: PrivateSigningJwk[], now: Date = new Date()): Promise<PrivateSigningJwk[]> {
  const signing = activeSigningKey(current, now);
  return [await generateRedirectionKey(undefined, now), ...(signing ? [signing] : [])];
}

export function parseRedirectionKeys(json: string): PrivateSigningJwk[] {
  const parsed = JSON.parse(json) as unknown;
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((k) => {
    const key = k as Partial<PrivateSigningJwk>;
    if (key.kty !== 'EC' || key.crv !== 'P-256' || typeof key.kid !== 'string' || typeof key.d !== 'string') {
      throw new Error('redirection keys must be private P-256 JWKs with a kid');
    }
    return key as PrivateSigningJwk;
  });
}

/** The public half of a private JWK: exactly the public members, never `d`. */
export function publicJwk(key: PrivateSigningJwk): PublicJwk {
  return { kty: key.kty!, crv: key.crv, x: key.x, y: key.y, kid: key.kid, alg: REDIRECTION_ALG, use: 'sig' };
}

export class JoseRedirectionSigner implements RedirectionSigner {
  constructor(
    private readonly keys: () => Promise<PrivateSigningJwk[]>,
    private readonly clock: Clock,
  ) {}

  async sign(claims: RedirectionClaims, audience: string): Promise<string> {
    const key = activeSigningKey(await this.keys(), this.clock.now());
    if (!key) throw new Error('no redirection signing key configured');
    const { created_at: _createdAt, ...jwk } = key;
    const privateKey = await importJWK(jwk, REDIRECTION_ALG);
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: REDIRECTION_ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(REDIRECTION_ISSUER)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + REDIRECTION_TTL_SECONDS)
      .sign(privateKey);
  }

  async publicKeys(): Promise<PublicJwk[]> {
    return (await this.keys()).slice(0, MAX_PUBLISHED_KEYS).map(publicJwk);
  }
}
