/** GET /payment/v2/payment-links/{id}/webhook-deliveries — every webhook event of a link and its attempts. */
import { listDeliveries } from '../../shared/domain/merchant-webhooks/admin.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse, merchantOf, pathParameter } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: DepsOf<PortsOf<'list-webhook-deliveries'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) =>
    jsonResponse(200, { items: await listDeliveries(pathParameter(event, 'id'), merchantOf(context), deps) }),
  );
