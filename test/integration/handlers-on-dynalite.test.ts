/**
 * Handlers called directly (as Lambda calls them) with ports wired to dynalite, for what the
 * sandbox's configuration does not show: production URL policy, unexpected failures, and the
 * conditional writes under contention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { makeHandler as makeCreate } from '../../functions/create-payment-link/handler.js';
import { makeHandler as makeGet } from '../../functions/get-payment-link/handler.js';
import { lambdaContext } from '../../sandbox/lambda-context.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { VersionConflictError } from '../../shared/domain/errors.js';
import { createPaymentLink } from '../../shared/domain/link/commands.js';
import type { AppDeps } from '../../shared/app/ports.js';
import { urlsFromRequest } from '../../shared/app/live/config.js';
import { createLogger } from '../../shared/logger.js';
import { testSandbox, tokenFor } from '../support/api-client.js';
import { createLinkBody } from '../support/fixtures.js';

let sb: Sandbox;
let token: string;
beforeAll(async () => {
  sb = await testSandbox();
  token = await tokenFor(sb.url, 'demo-client', 'demo-secret');
});
afterAll(async () => {
  await sb.stop();
});

function apiEvent(method: string, path: string, body?: unknown, pathParameters: Record<string, string> | null = null): APIGatewayProxyEvent {
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: { 'Content-Type': 'application/json', 'X-Api-Key': 'demo-api-key', Authorization: `Bearer ${token}` },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'test', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', stage: 'v1' } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('production configuration', () => {
  it('rejects http and private URLs that the sandbox accepts', async () => {
    const deps: AppDeps = { ...sb.deps, urlPolicy: 'production' };
    const handler = makeCreate(deps);
    const r = await handler(
      apiEvent('POST', '/payment/v2/payment-links', createLinkBody({ shopper_redirection_url: 'http://shop.example.com/back', webhook: { url: 'https://192.168.0.10/hook' } })),
      lambdaContext('create-payment-link'),
    );
    expect(r.statusCode).toBe(400);
    const pointers = JSON.parse(r.body).errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(['/shopper_redirection_url', '/webhook/url']);
  });

  it('derives links from the API Gateway domain and stage when no base URL is configured', async () => {
    const deps: AppDeps = { ...sb.deps, urls: (e) => urlsFromRequest(e, {}) };
    const r = await makeCreate(deps)(apiEvent('POST', '/payment/v2/payment-links', createLinkBody()), lambdaContext('create-payment-link'));
    expect(r.statusCode).toBe(201);
    const body = JSON.parse(r.body);
    expect(body.links.self.href).toBe(`https://abc123.execute-api.eu-west-1.amazonaws.com/v1/payment/v2/payment-links/${body.id}`);
  });
});

describe('unexpected failures', () => {
  it('are a bare 500 that reveals nothing, with the details in the log', async () => {
    const lines: string[] = [];
    const deps: AppDeps = {
      ...sb.deps,
      logger: createLogger({ write: (l) => lines.push(l) }),
      links: { ...sb.deps.links, get: async () => Promise.reject(new Error('table paylink-secret-name is on fire')) },
    };
    const r = await makeGet(deps)(apiEvent('GET', '/payment/v2/payment-links/{id}', undefined, { id: 'x' }), lambdaContext('get-payment-link'));
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500 });
    expect(r.body).not.toContain('fire');
    expect(lines.join('\n')).toContain('on fire');
    expect(lines.join('\n')).not.toContain(token);
  });
});

describe('conditional writes on dynalite', () => {
  it('let exactly one of several concurrent writers of the same version win', async () => {
    const merchant = (await sb.deps.merchants.getMerchant('demo-entity'))!;
    const link = await createPaymentLink(createLinkBody() as never, merchant, sb.deps);
    const attempts = await Promise.allSettled(
      (['OPENED', 'CANCELLED', 'PAID', 'EXPIRED'] as const).map((status) => sb.deps.links.update({ ...link, status, version: 2 }, 1)),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const losers = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(losers.every((a) => a.reason instanceof VersionConflictError)).toBe(true);
    expect((await sb.deps.links.get(link.id))?.version).toBe(2);
  });

  it('never overwrites an existing link id on create', async () => {
    const merchant = (await sb.deps.merchants.getMerchant('demo-entity'))!;
    const fixedIds = { newId: () => '11111111-1111-4111-8111-111111111111' };
    const deps = { ...sb.deps, ids: fixedIds };
    await createPaymentLink(createLinkBody() as never, merchant, deps);
    await expect(createPaymentLink(createLinkBody({ amount: 1 }) as never, merchant, deps)).rejects.toThrow();
    expect((await sb.deps.links.get('11111111-1111-4111-8111-111111111111'))?.amount).toBe(12000);
  });
});
