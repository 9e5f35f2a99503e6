/**
 * /oauth/token throttles failed client authentications (issue 9, item 8): 10 failures per client id
 * per one-minute window, counted in the table so every Lambda sees the same count; then 429 with
 * Retry-After (seconds to the window's end), the right secret included, until the window ends.
 * The sandbox runs on a clock the test moves, so no answer depends on when the test runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { makeHandler } from '../../functions/oauth-token/handler.js';
import { lambdaContext } from '../../sandbox/lambda-context.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import type { Clock } from '../../shared/domain/ports.js';
import { call, testSandbox } from '../support/api-client.js';

const WINDOW_MS = 60_000;
const BUDGET = 10;

/** Stands still until the test moves it; starts 30 s into a one-minute window. */
class MovableClock implements Clock {
  private current = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 30_000;
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

const clock = new MovableClock();
let sb: Sandbox;
beforeAll(async () => {
  sb = await testSandbox({ clock });
});
afterAll(async () => {
  await sb.stop();
});

const tokenRequest = (clientId: string, secret: string) =>
  call(sb.url, 'POST', '/oauth/token', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
  });

let n = 0;
const ghost = () => `ghost-${Date.now()}-${++n}`;

describe('POST /oauth/token throttling', () => {
  it(`answers 429 with Retry-After once ${BUDGET} failures are spent, to the right secret too, until the window ends`, async () => {
    for (let i = 0; i < BUDGET; i++) expect((await tokenRequest('demo-client', `wrong-${i}`)).status).toBe(401);
    const throttled = await tokenRequest('demo-client', 'wrong-again');
    expect(throttled.status).toBe(429);
    expect(throttled.body.error).toBe('too_many_attempts');
    expect(throttled.headers.get('retry-after')).toBe('30'); // the clock stands 30 s before the window's end

    const right = await tokenRequest('demo-client', 'demo-secret');
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    clock.advance(29_000);
    expect((await tokenRequest('demo-client', 'demo-secret')).status).toBe(429);
    clock.advance(1_000);
    expect((await tokenRequest('demo-client', 'demo-secret')).status).toBe(200);
  });

  it('spends the budget on failures only: the right secret, however often, leaves it whole', async () => {
    for (let i = 0; i < BUDGET - 1; i++) expect((await tokenRequest('demo-client-2', `wrong-${i}`)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await tokenRequest('demo-client-2', 'demo-secret-2')).status).toBe(200);
    expect((await tokenRequest('demo-client-2', 'wrong-last')).status).toBe(401);
    expect((await tokenRequest('demo-client-2', 'demo-secret-2')).status).toBe(429);
    clock.advance(WINDOW_MS);
  });

  it('throttles unknown client ids alike (same answers as a known id), a 3,000-character one included', async () => {
    for (const id of [ghost(), 'c'.repeat(3000)]) {
      const answers = [];
      for (let i = 0; i <= BUDGET; i++) answers.push((await tokenRequest(id, 'guess')).status);
      expect(answers).toEqual([...Array<number>(BUDGET).fill(401), 429]);
    }
  });

  it("keeps each client id's budget apart: one id locked out leaves another's right secret working", async () => {
    const locked = ghost();
    for (let i = 0; i <= BUDGET; i++) await tokenRequest(locked, 'guess');
    expect((await tokenRequest(locked, 'guess')).status).toBe(429);
    expect((await tokenRequest('demo-client-2', 'demo-secret-2')).status).toBe(200);
  });

  it('lets exactly the budget through when failures race (the count is a conditional write)', async () => {
    const id = ghost();
    const statuses = (await Promise.all(Array.from({ length: 3 * BUDGET }, () => tokenRequest(id, 'guess')))).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(BUDGET);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2 * BUDGET);
  });

  it('counts across Lambdas: two function instances share one budget', async () => {
    const instances = [makeHandler({ ...sb.deps }), makeHandler({ ...sb.deps })];
    const id = ghost();
    const statuses: number[] = [];
    for (let i = 0; i <= BUDGET; i++) statuses.push((await instances[i % 2]!(tokenEvent(id, 'guess'), lambdaContext('oauth-token'))).statusCode);
    expect(statuses).toEqual([...Array<number>(BUDGET).fill(401), 429]);
  });

  it("counts per client id and source address: a guesser elsewhere cannot lock the merchant's own servers out", async () => {
    const handler = makeHandler({ ...sb.deps });
    const from = async (ip: string, secret: string) => (await handler(tokenEvent('demo-client', secret, ip), lambdaContext('oauth-token'))).statusCode;
    const attacker = [];
    for (let i = 0; i <= BUDGET; i++) attacker.push(await from('203.0.113.7', `guess-${i}`));
    expect(attacker).toEqual([...Array<number>(BUDGET).fill(401), 429]);
    expect(await from('203.0.113.7', 'demo-secret')).toBe(429);
    expect(await from('198.51.100.20', 'demo-secret')).toBe(200);
    clock.advance(WINDOW_MS);
  });
});

function tokenEvent(clientId: string, secret: string, sourceIp = '192.0.2.1'): APIGatewayProxyEvent {
  return {
    resource: '/oauth/token',
    path: '/oauth/token',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
    isBase64Encoded: false,
    requestContext: { requestId: 'test', identity: { sourceIp } } as APIGatewayProxyEvent['requestContext'],
  };
}
