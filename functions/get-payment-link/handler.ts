/** GET /payment/v2/payment-links/{id} — one of the caller's links; anyone else's is a 404. */
import { getOwnLink } from '../../shared/domain/link/commands.js';
import { toResource } from '../../shared/domain/link/resource.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse, merchantOf, pathParameter } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: DepsOf<PortsOf<'get-payment-link'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) => {
    const link = await getOwnLink(pathParameter(event, 'id'), merchantOf(context), deps.links);
    return jsonResponse(200, toResource(link, deps.urls(event)));
  });
