/** The middy chain every API handler starts from: header normalisation, one error mapper, an access
 * log line, and (for /payment/v2) merchant authentication. */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { AppDeps } from '../deps.js';
import type { ApiContext, ApiEvent, ApiResult } from './api.js';
import { authenticate } from './authenticate.js';
import { problemErrors } from './problem.js';

export function apiChain(deps: Pick<AppDeps, 'logger' | 'merchants' | 'tokens'>, options: { authenticated: boolean }) {
  const started = new WeakMap<object, number>();
  const chain = middy<ApiEvent, ApiResult, Error, ApiContext>()
    .use({
      before: (request) => {
        started.set(request, performance.now());
      },
      after: (request) => {
        deps.logger.info('request', {
          method: request.event.httpMethod,
          route: request.event.resource,
          status: request.response?.statusCode,
          duration_ms: Math.round(performance.now() - (started.get(request) ?? performance.now())),
          request_id: request.event.requestContext?.requestId,
          entity_id: request.context.merchant?.entity_id,
        });
      },
    })
    .use(httpHeaderNormalizer())
    .use(problemErrors(deps.logger));
  return options.authenticated ? chain.use(authenticate(deps)) : chain;
}
