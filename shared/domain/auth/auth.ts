/**
 * Merchant authentication: OAuth2 client credentials for tokens (RFC 6749 §4.4), failed attempts
 * throttled per client id (throttle.ts), and for every /payment/v2 call both the API key and a
 * Bearer token of the same merchant.
 */
import { ForbiddenError, OAuthError, UnauthorizedError } from '../errors.js';
import type { AccessTokens, ClientThrottle, Clock, Merchant, MerchantDirectory } from '../ports.js';
import { UNKNOWN_CLIENT_HASH, apiKeyDigest, verifySecret } from './secret-hash.js';
import { withinAttemptBudget } from './throttle.js';

export const ACCESS_TOKEN_TTL_SECONDS = 3600;

export interface TokenRequest {
  grant_type?: string;
  client_id?: string;
  client_secret?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Credentials from an `Authorization: Basic` header (RFC 6749 §2.3.1: form-urlencoded parts). */
export function parseBasicAuth(header: string | undefined): { client_id: string; client_secret: string } | undefined {
  const match = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return {
      client_id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      client_secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return undefined;
  }
}

export async function issueAccessToken(
  form: TokenRequest,
  basic: { client_id: string; client_secret: string } | undefined,
  deps: { merchants: MerchantDirectory; tokens: AccessTokens; clientThrottle: ClientThrottle; clock: Clock },
  sourceIp: string,
): Promise<TokenResponse> {
  if (!form.grant_type) throw new OAuthError('invalid_request', 'grant_type is required');
  if (form.grant_type !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported');
  }
  if (basic && (form.client_id || form.client_secret)) {
    throw new OAuthError('invalid_request', 'send client credentials either in the body or with HTTP Basic, not both');
  }
  const clientId = basic?.client_id ?? form.client_id;
  const clientSecret = basic?.client_secret ?? form.client_secret;
  if (!clientId || !clientSecret) throw new OAuthError('invalid_client', 'client authentication failed');

  const client = await withinAttemptBudget(
    { clientId, sourceIp },
    async () => {
      const found = await deps.merchants.getClient(clientId);
      // Hash even for an unknown client, so response time does not reveal which client ids exist.
      const secretOk = await verifySecret(clientSecret, found?.secret_hash ?? UNKNOWN_CLIENT_HASH);
      return secretOk ? found : undefined;
    },
    deps,
  );
  if (!client) throw new OAuthError('invalid_client', 'client authentication failed');
  const merchant = await deps.merchants.getMerchant(client.entity_id);
  if (!merchant?.active) throw new OAuthError('invalid_client', 'client authentication failed');

  const access_token = await deps.tokens.issue(
    { entity_id: merchant.entity_id, client_id: client.client_id },
    ACCESS_TOKEN_TTL_SECONDS,
  );
  return { access_token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS };
}

/**
 * Both credentials are required and must name the same merchant: a missing or invalid one is 401,
 * a valid key and a valid token of two different merchants is 403.
 */
export async function authenticateMerchant(
  headers: { apiKey?: string; authorization?: string },
  deps: { merchants: MerchantDirectory; tokens: AccessTokens },
): Promise<Merchant> {
  if (!headers.apiKey) throw new UnauthorizedError('the x-api-key header is required');
  const bearer = headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (!bearer) throw new UnauthorizedError('an Authorization: Bearer token is required');

  const [keyEntity, claims] = await Promise.all([
    deps.merchants.entityForApiKey(apiKeyDigest(headers.apiKey)),
    deps.tokens.verify(bearer),
  ]);
  if (!keyEntity) throw new UnauthorizedError('the API key is not valid');
  if (!claims) throw new UnauthorizedError('the access token is not valid or has expired');
  if (keyEntity !== claims.entity_id) throw new ForbiddenError('the API key and the access token belong to different merchants');

  // A token lives an hour: it is honoured only while the client it was issued to still exists for
  // this merchant, so removing a client (a leaked secret) cuts off its tokens at once.
  const [merchant, client] = await Promise.all([deps.merchants.getMerchant(claims.entity_id), deps.merchants.getClient(claims.client_id)]);
  if (!client || client.entity_id !== claims.entity_id) throw new UnauthorizedError('the access token was issued to a client that no longer exists');
  if (!merchant?.active) throw new UnauthorizedError('the merchant is not active');
  return merchant;
}
