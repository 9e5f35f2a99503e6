/**
 * The sandbox's one HTTP server: the provider's pages under /sandbox-psp, /health, the sandbox's own
 * views (/sandbox/events, /sandbox/sms), and every route of the manifest behind an API Gateway-like
 * front (proxy events, 404 for an unknown path, 405 with Allow for a known path and another method).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Route } from '../shared/app/functions.js';
import type { Logger } from '../shared/logger.js';
import { BodyTooLargeForGateway, drainRequest, readRequestBody, toProxyEvent, writeResult } from './api-gateway.js';
import { lambdaContext } from './lambda-context.js';

type RouteHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;

export const STAGE = 'v1';

export interface ServerOptions {
  routes: ReadonlyMap<Route, RouteHandler>;
  /** Handles the request (true) or leaves it to the router (false): the provider's pages. */
  psp: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** GET /sandbox/<name> views: their JSON. */
  views: Record<string, () => unknown>;
  logger: Logger;
}

function problem(status: number, title: string, detail: string): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title, status, detail }),
  };
}

/** Matches a concrete path against a route path; returns the path parameters or undefined. */
export function matchPath(routePath: string, actual: string): Record<string, string> | undefined {
  const want = routePath.split('/');
  const got = actual.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return undefined;
      try {
        params[w.slice(1, -1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) return undefined;
  }
  return params;
}

export function createSandboxServer(options: ServerOptions): Server {
  const json = (body: unknown): APIGatewayProxyResult => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return createServer((req, res) => {
    void (async () => {
      if (await options.psp(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://sandbox');
      if (req.method === 'GET' && url.pathname === '/health') return writeResult(res, json({ status: 'ok' }));
      const view = req.method === 'GET' && url.pathname.startsWith('/sandbox/') ? Object.entries(options.views).find(([name]) => url.pathname === `/sandbox/${name}`) : undefined;
      if (view) return writeResult(res, json(view[1]()));
      const matches = [...options.routes.keys()].flatMap((route) => {
        const params = matchPath(route.path, url.pathname);
        return params ? [{ route, params }] : [];
      });
      if (matches.length === 0) return writeResult(res, problem(404, 'Not found', `no route for ${url.pathname}`));
      const match = matches.find((m) => m.route.method === req.method);
      if (!match) {
        const allowed = [...new Set(matches.map((m) => m.route.method))].join(', ');
        const result = problem(405, 'Method not allowed', `use ${allowed}`);
        return writeResult(res, { ...result, headers: { ...result.headers, allow: allowed } });
      }
      let body: Buffer;
      try {
        body = await readRequestBody(req);
      } catch (err) {
        if (err instanceof BodyTooLargeForGateway) {
          // Read (and drop) what the client is still sending, for a few seconds at most, then answer
          // and close: answering mid-upload resets the connection under the client's next request.
          await drainRequest(req);
          const result = problem(413, 'Payload too large', 'request body too large');
          return writeResult(res, { ...result, headers: { ...result.headers, connection: 'close' } });
        }
        throw err;
      }
      const event = toProxyEvent(req, url, body, { resource: match.route.path, pathParameters: match.params }, STAGE);
      const result = (await options.routes.get(match.route)!(event, lambdaContext(match.route.fn))) as APIGatewayProxyResult;
      writeResult(res, result);
    })().catch((error: unknown) => {
      options.logger.error('sandbox server error', { error });
      if (!res.headersSent) writeResult(res, problem(500, 'Internal Server Error', 'sandbox failure'));
      else res.end();
    });
  });
}
