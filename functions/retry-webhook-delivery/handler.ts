/** POST /payment/v2/webhook-deliveries/{event_id}/retry — send a webhook event again now (same webhook-id). */
import { replayDelivery } from '../../shared/domain/merchant-webhooks/admin.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse, merchantOf, pathParameter } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: DepsOf<PortsOf<'retry-webhook-delivery'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) =>
    jsonResponse(202, await replayDelivery(pathParameter(event, 'event_id'), merchantOf(context), deps)),
  );
