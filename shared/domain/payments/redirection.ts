/**
 * The signed redirection (`purse-redirection-data`): a compact JWS whose claims tell the merchant
 * how the shopper's attempt ended. Merchants verify it with the keys at GET /payment/v2/jwks.
 */
import type { AuthorizationStatus } from '../link/status.js';

export interface RedirectionClaims {
  payment_link_id: string;
  client_session_id: string;
  payment_id: string | null;
  authorization_status: AuthorizationStatus | null;
  client_session_status: string;
}

export const REDIRECTION_ISSUER = 'paylink';
/** Long enough for a slow browser redirect, short enough that a leaked URL soon means nothing. */
export const REDIRECTION_TTL_SECONDS = 15 * 60;

export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: 'sig';
  [member: string]: unknown;
}

