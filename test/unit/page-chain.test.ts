/** Shopper pages fail as pages: whatever a page handler throws, the answer is HTML with the page headers. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaContext } from '../../sandbox/lambda-context.js';
import { NotFoundError, PayloadTooLargeError } from '../../shared/domain/errors.js';
import { pageChain } from '../../shared/http/page-chain.js';
import { createLogger } from '../../shared/logger.js';

const event = { httpMethod: 'GET', path: '/payment-links/x', resource: '/payment-links/{id}', headers: { 'Accept-Language': 'fr' } } as unknown as APIGatewayProxyEvent;

describe('pageChain errors', () => {
  it.each([
    ['a missing thing', new NotFoundError('no'), 404],
    ['another caller error', new PayloadTooLargeError('big'), 413],
    ['a bug', new Error('boom'), 500],
  ] as const)('%s becomes an HTML page with its status, never problem+json', async (_what, error, status) => {
    const handler = pageChain({ logger: createLogger({ write: () => undefined }) }).handler(async () => {
      throw error;
    });
    const r = await handler(event, lambdaContext('page'));
    expect(r.statusCode).toBe(status);
    expect(String(r.headers?.['content-type'])).toMatch(/^text\/html/);
    expect(r.headers?.['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers?.['referrer-policy']).toBe('no-referrer');
    expect(r.headers?.['cache-control']).toBe('no-store');
    expect(r.body).not.toContain('boom');
  });
});
