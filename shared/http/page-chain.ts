/** The middy chain of shopper-facing pages: like apiChain, but failures render an HTML page. */
import type middy from '@middy/core';
import { NotFoundError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { header, type ApiEvent, type ApiResult } from './api.js';
import { apiChain } from './api-chain.js';
import { pageLocale, renderPage } from './pages.js';

function pageErrors(deps: { logger: Logger }): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      const locale = pageLocale(undefined, header(request.event, 'accept-language'));
      if (request.error instanceof NotFoundError) {
        request.response = renderPage(404, 'notFound', locale);
        return;
      }
      deps.logger.error('page failed', { error: request.error, route: request.event?.resource });
      request.response = renderPage(500, 'error', locale);
    },
  };
}

export function pageChain(deps: { logger: Logger }) {
  // Registered last, so its onError runs first (middy runs onError in reverse order).
  return apiChain(deps, { authenticated: false }).use(pageErrors(deps));
}
