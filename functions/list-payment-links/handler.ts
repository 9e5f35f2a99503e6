/** GET /payment/v2/payment-links?status=&order_reference=&limit=&cursor= — newest first. */
import { listOwnLinks } from '../../shared/domain/link/commands.js';
import { toResource } from '../../shared/domain/link/resource.js';
import { DEFAULT_PAGE_SIZE, listPaymentLinksQuerySchema } from '../../shared/domain/link/list-query.js';
import { parseOrThrow } from '../../shared/domain/validate.js';
import type { PortsOf } from '../../shared/app/functions.js';
import type { DepsOf } from '../../shared/app/ports.js';
import { jsonResponse, merchantOf } from '../../shared/http/api.js';
import { apiChain } from '../../shared/http/api-chain.js';

export const makeHandler = (deps: DepsOf<PortsOf<'list-payment-links'>>) =>
  apiChain(deps, { authenticated: true }).handler(async (event, context) => {
    const query = parseOrThrow(listPaymentLinksQuerySchema, event.queryStringParameters ?? {});
    const page = await listOwnLinks(
      merchantOf(context),
      { ...(query.status ? { status: query.status } : {}), ...(query.order_reference ? { order_reference: query.order_reference } : {}) },
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
      deps.links,
    );
    const urls = deps.urls(event);
    return jsonResponse(200, { items: page.items.map((l) => toResource(l, urls)), next_cursor: page.next_cursor });
  });
