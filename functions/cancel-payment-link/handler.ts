/** POST /payment/v2/payment-links/{id}/cancel — idempotent: cancelling a CANCELLED link is a 200. */
import { cancelPaymentLink } from '../../shared/domain/link/commands.js';
import { toResource } from '../../shared/domain/link/resource.js';
import type { AppDeps } from '../../shared/deps.js';
import { checkBodySize, jsonResponse, merchantOf, pathParameter } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';
import { idempotentPost } from '../../shared/http/idempotent.js';

export const makeHandler = (deps: AppDeps) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) => {
    const merchant = merchantOf(context);
    return idempotentPost(event, merchant, deps, async () => {
      checkBodySize(event);
      const link = await cancelPaymentLink(pathParameter(event, 'id'), merchant, { store: deps.links, clock: deps.clock });
      return jsonResponse(200, toResource(link, deps.urls(event)));
    });
  });
