/** POST /payment/v2/payment-links — create a link (Idempotency-Key aware). */
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import { toResource } from '../../shared/domain/link/resource.js';
import { createPaymentLinkSchema } from '../../shared/domain/link/schemas.js';
import { parseOrThrow } from '../../shared/domain/validate.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse, merchantOf, readJsonBody } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';
import { idempotentPost } from '../../shared/http/idempotent.js';

export const makeHandler = (deps: DepsOf<PortsOf<'create-payment-link'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) => {
    const merchant = merchantOf(context);
    return idempotentPost('create-payment-link', event, merchant, deps, async (attempt) => {
      const input = parseOrThrow(createPaymentLinkSchema, readJsonBody(event));
      const link = await createPaymentLink(input, merchant, deps, attempt);
      const resource = toResource(link, deps.urls(event));
      return jsonResponse(201, resource, { location: resource.links.self.href });
    });
  });
