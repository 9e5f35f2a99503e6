/** POST /oauth/token — OAuth2 client credentials (RFC 6749 §4.4). */
import { issueAccessToken, parseBasicAuth } from '../../shared/domain/auth/auth.js';
import { OAuthError } from '../../shared/domain/errors.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { header, jsonResponse, readFormBody } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: DepsOf<PortsOf<'oauth-token'>>) =>
  apiChain(deps, { authenticated: false }).handler(async (event) => {
    let form: Record<string, string>;
    try {
      form = readFormBody(event);
    } catch (err) {
      throw new OAuthError('invalid_request', err instanceof Error ? err.message : 'invalid request');
    }
    // API Gateway sets the caller's address; failed attempts are counted per client id and address.
    const sourceIp = event.requestContext?.identity?.sourceIp ?? 'unknown';
    const token = await issueAccessToken(form, parseBasicAuth(header(event, 'authorization')), deps, sourceIp);
    return jsonResponse(200, token, { pragma: 'no-cache' });
  });
