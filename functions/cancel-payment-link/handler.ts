/** POST /payment/v2/payment-links/{id}/cancel — idempotent: cancelling a CANCELLED link is a 200. */
import { cancelPaymentLink } from '../../shared/domain/link/commands.js';
import { toResource } from '../../shared/domain/link/resource.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { checkBodySize, jsonResponse, merchantOf, pathParameter } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';
import { idempotentPost } from '../../shared/http/idempotent.js';

export const makeHandler = (deps: DepsOf<PortsOf<'cancel-payment-link'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) => {
    const merchant = merchantOf(context);
    return idempotentPost('cancel-payment-link', event, merchant, deps, async () => {
      checkBodySize(event);
      const link = await cancelPaymentLink(pathParameter(event, 'id'), merchant, deps);
      return jsonResponse(200, toResource(link, deps.urls(event)));
    });
  });
