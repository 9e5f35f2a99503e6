/** The middy chain of shopper-facing pages: like apiChain, but failures render an HTML page. */
import type middy from '@middy/core';
import { DomainError, NotFoundError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { header, type ApiEvent, type ApiResult } from './api.js';
import { apiChain } from './api-chain.js';
import { pageLocale, renderPage } from './pages.js';

function pageErrors(deps: { logger: Logger }): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      const locale = pageLocale(undefined, header(request.event, 'accept-language'));
      const err = request.error;
      if (err instanceof NotFoundError) request.response = renderPage(404, 'notFound', locale);
      else if (err instanceof DomainError && err.status < 500) request.response = renderPage(err.status, 'error', locale);
      else {
        deps.logger.error('page failed', { error: err, route: request.event?.resource });
        request.response = renderPage(500, 'error', locale);
      }
      // Returning the response ends the error chain: the API's problem+json mapper (registered
      // earlier, so run later) must not replace the shopper's page.
      return request.response;
    },
  };
}

export function pageChain(deps: { logger: Logger }) {
  // Registered last, so its onError runs first (middy runs onError in reverse order).
  return apiChain(deps, { authenticated: false }).use(pageErrors(deps));
}
