/** POST /payment/v2/webhook-secrets/rotate — a new signing secret; the previous one signs for 24 h more. */
import { rotateWebhookSecret } from '../../shared/domain/merchant-webhooks/admin.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse, merchantOf } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: DepsOf<PortsOf<'rotate-webhook-secret'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (_event, context) =>
    jsonResponse(200, await rotateWebhookSecret(merchantOf(context), deps)),
  );
