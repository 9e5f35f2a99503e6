/** GET /payment/v2/jwks — public keys that verify purse-redirection-data tokens. */
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: DepsOf<PortsOf<'jwks'>>) =>
  apiChain(deps, { authenticated: false }).handler(async () =>
    // Cacheable for a few minutes: a rotated key is published well before it signs.
    jsonResponse(200, { keys: await deps.redirection.publicKeys() }, { 'cache-control': 'public, max-age=300' }),
  );
