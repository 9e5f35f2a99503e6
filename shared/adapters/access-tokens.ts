/**
 * Access tokens: JWTs signed with jose, HS256, with issuer, audience, expiry, the merchant's entity
 * id and a key id. Several keys may be configured; the first signs, all verify, so a key can be
 * rotated without invalidating tokens already handed out. On AWS the keys come from Secrets Manager
 * at cold start (never from environment values); the sandbox keeps its own under .sandbox/.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AccessTokenClaims, AccessTokens, Clock } from '../domain/ports.js';

export interface SigningKey {
  kid: string;
  /** At least 32 bytes of random material. */
  secret: Uint8Array;
}

export const TOKEN_ISSUER = 'paylink';
export const TOKEN_AUDIENCE = 'paylink-api';

export class JoseAccessTokens implements AccessTokens {
  constructor(
    private readonly keys: () => Promise<SigningKey[]>,
    private readonly clock: Clock,
  ) {}

  async issue(claims: AccessTokenClaims, ttlSeconds: number): Promise<string> {
    const [key] = await this.keys();
    if (!key) throw new Error('no signing key configured');
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ entity_id: claims.entity_id, client_id: claims.client_id })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(claims.client_id)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(key.secret);
  }

  async verify(token: string): Promise<AccessTokenClaims | undefined> {
    const keys = await this.keys();
    const pick: JWTVerifyGetKey = (header) => {
      const key = keys.find((k) => k.kid === header.kid);
      if (!key) throw new Error('unknown kid');
      return key.secret;
    };
    try {
      const { payload } = await jwtVerify(token, pick, {
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        algorithms: ['HS256'],
        typ: 'at+jwt',
        currentDate: this.clock.now(),
        requiredClaims: ['exp', 'iat', 'entity_id', 'client_id'],
      });
      if (typeof payload.entity_id !== 'string' || typeof payload.client_id !== 'string') return undefined;
      return { entity_id: payload.entity_id, client_id: payload.client_id };
    } catch {
      return undefined;
    }
  }
}

/** Parses the key material kept in Secrets Manager (or the sandbox's key file). */
export function parseSigningKeys(json: string): SigningKey[] {
  const parsed = JSON.parse(json) as unknown;
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((entry) => {
    const e = entry as { kid?: unknown; secret?: unknown };
    if (typeof e.kid !== 'string' || typeof e.secret !== 'string' || e.secret.length < 32) {
      throw new Error('signing key material must be {kid, secret} with a secret of at least 32 characters');
    }
    return { kid: e.kid, secret: new TextEncoder().encode(e.secret) };
  });
}
