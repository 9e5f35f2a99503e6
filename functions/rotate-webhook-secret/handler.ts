/** POST /payment/v2/webhook-secrets/rotate — a new signing secret; the previous one signs for 24 h more. */
import { rotateWebhookSecret } from '../../shared/domain/merchant-webhooks/admin.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse, merchantOf } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';
import { idempotentPost } from '../../shared/http/idempotent.js';

export const makeHandler = (deps: DepsOf<PortsOf<'rotate-webhook-secret'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) => {
    const merchant = merchantOf(context);
    return idempotentPost('rotate-webhook-secret', event, merchant, deps, async (attempt) =>
      jsonResponse(200, await rotateWebhookSecret(merchant, deps, attempt)),
    );
  });
