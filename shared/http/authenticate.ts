/** Middleware for every /payment/v2 route: x-api-key and Bearer token of the same merchant. */
import type middy from '@middy/core';
import { authenticateMerchant } from '../domain/auth/auth.js';
import type { AccessTokens, MerchantDirectory } from '../domain/ports.js';
import { header, type ApiContext, type ApiEvent, type ApiResult } from './api.js';

export function authenticate(deps: {
  merchants: MerchantDirectory;
  tokens: AccessTokens;
}): middy.MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext> {
  return {
    before: async (request) => {
      request.context.merchant = await authenticateMerchant(
        { apiKey: header(request.event, 'x-api-key'), authorization: header(request.event, 'authorization') },
        deps,
      );
    },
  };
}
