/** POST /payment/v2/webhook-secrets/rotate — a new signing secret; the previous one signs for 24 h more. */
import { rotateWebhookSecret } from '../../shared/domain/merchant-webhooks/admin.js';
import type { AppDeps } from '../../shared/deps.js';
import { jsonResponse, merchantOf } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: AppDeps) =>
  apiChain(deps, { authenticated: true }).handler(async (_event, context) =>
    jsonResponse(200, await rotateWebhookSecret(merchantOf(context), deps)),
  );
