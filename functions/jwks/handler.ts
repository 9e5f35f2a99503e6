/** GET /payment/v2/jwks — public keys that verify purse-redirection-data tokens. */
import type { AppDeps } from '../../shared/deps.js';
import { jsonResponse } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: AppDeps) =>
  apiChain(deps, { authenticated: false }).handler(async () =>
    // Cacheable for a few minutes: a rotated key is published well before it signs.
    jsonResponse(200, { keys: await deps.redirection.publicKeys() }, { 'cache-control': 'public, max-age=300' }),
  );
