/**
 * The one place errors become HTTP responses (STYLE.md §5). Domain errors become
 * application/problem+json (RFC 9457) with their field errors; OAuth errors the RFC 6749 body;
 * anything else a bare 500 that reveals nothing, with the details in the log only.
 */
import type middy from '@middy/core';
import { DomainError, OAuthError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { ApiEvent, ApiResult } from './api.js';

const PROBLEM_HEADERS = { 'content-type': 'application/problem+json', 'cache-control': 'no-store' };

const retryAfter = (err: DomainError): Record<string, string> =>
  typeof err.extensions.retry_after_seconds === 'number' ? { 'retry-after': String(err.extensions.retry_after_seconds) } : {};

export function problemResponse(err: DomainError): ApiResult {
  if (err instanceof OAuthError) {
    return {
      statusCode: err.status,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...(err.status === 401 ? { 'www-authenticate': 'Basic realm="paylink"' } : {}),
        ...retryAfter(err),
      },
      body: JSON.stringify({ error: err.code, error_description: err.message }),
    };
  }
  return {
    statusCode: err.status,
    headers: {
      ...PROBLEM_HEADERS,
      ...(err.status === 401 ? { 'www-authenticate': 'Bearer realm="paylink"' } : {}),
      ...retryAfter(err),
    },
    body: JSON.stringify({
      type: `https://paylink.dev/problems/${err.code.replace(/_/g, '-')}`,
      title: err.title,
      status: err.status,
      detail: err.message,
      ...err.extensions,
    }),
  };
}

export const INTERNAL_ERROR: ApiResult = {
  statusCode: 500,
  headers: PROBLEM_HEADERS,
  body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500 }),
};

export function problemErrors(logger: Logger): middy.MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: async (request) => {
      const err = request.error;
      if (err instanceof DomainError) {
        if (err.status >= 500) logger.error('request failed', { error: err });
        request.response = problemResponse(err);
        return;
      }
      logger.error('unexpected error', {
        error: err,
        request_id: request.event?.requestContext?.requestId,
        route: request.event?.resource,
      });
      request.response = INTERNAL_ERROR;
    },
  };
}
