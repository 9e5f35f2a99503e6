/** The middy chain every API handler starts from: header normalisation, one error mapper, an access
 * log line, and (for /payment/v2) merchant authentication. */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { Logger } from '../logger.js';
import type { AccessTokens, MerchantDirectory } from '../domain/ports.js';
import type { ApiContext, ApiEvent, ApiResult } from './api.js';
import { authenticate } from './authenticate.js';
import { problemErrors } from './problem.js';

/** What authenticating a merchant reads: the API key, client and merchant items, the token keys. */
export interface AuthDeps {
  merchants: MerchantDirectory;
  tokens: AccessTokens;
}

export function apiChain(deps: { logger: Logger } & AuthDeps, options: { authenticated: true }): ReturnType<typeof baseChain>;
export function apiChain(deps: { logger: Logger }, options: { authenticated: false }): ReturnType<typeof baseChain>;
export function apiChain(deps: { logger: Logger } & Partial<AuthDeps>, options: { authenticated: boolean }) {
  const chain = baseChain(deps.logger);
  if (!options.authenticated) return chain;
  const { merchants, tokens } = deps;
  if (!merchants || !tokens) throw new Error('an authenticated route needs the merchants and tokens ports');
  return chain.use(authenticate({ merchants, tokens }));
}

function baseChain(logger: Logger) {
  const started = new WeakMap<object, number>();
  const chain = middy<ApiEvent, ApiResult, Error, ApiContext>()
    .use({
      before: (request) => {
        started.set(request, performance.now());
      },
      after: (request) => {
        logger.info('request', {
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
    .use(problemErrors(logger));
  return chain;
}
