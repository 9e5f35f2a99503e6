/**
 * Turns a node HTTP request into the API Gateway REST proxy event the Lambda handlers receive, and
 * their result back into an HTTP response. Routing uses the same ROUTES the CDK stack deploys.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** API Gateway's own payload limit; our handlers enforce the smaller API limit themselves. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeForGateway extends Error {}

/**
 * Consumes the rest of a request body, until it ends or `ms` pass (then the socket is dropped).
 * Answering a 413 mid-upload resets the connection under the client's next request: drain first,
 * then answer with `connection: close`.
 */
export function drainRequest(req: IncomingMessage, ms = 5000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      req.destroy();
      resolve();
    }, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    req.once('end', done).once('close', done).resume();
  });
}

/** Reads a request body, refusing (BodyTooLargeForGateway) one over `maxBytes`. */
export async function readRequestBody(req: IncomingMessage, maxBytes = GATEWAY_MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLargeForGateway();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function toProxyEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: { resource: string; pathParameters: Record<string, string> },
  stage: string,
): APIGatewayProxyEvent {
  // Maps, then own properties: a header or query key such as `constructor` or `__proto__` is data,
  // as in the JSON event API Gateway sends, never an inherited member of a plain object.
  const multiHeaders = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    multiHeaders.set(name, [...(multiHeaders.get(name) ?? []), req.rawHeaders[i + 1]!]);
  }
  const multiParams = new Map<string, string[]>();
  for (const [k, v] of url.searchParams) multiParams.set(k, [...(multiParams.get(k) ?? []), v]);
  const last = (values: string[]) => values[values.length - 1]!;
  const headers = Object.fromEntries([...multiHeaders].map(([k, v]) => [k, last(v)])) as Record<string, string>;
  const multiValueHeaders = Object.fromEntries(multiHeaders) as Record<string, string[]>;
  const query = Object.fromEntries([...multiParams].map(([k, v]) => [k, last(v)])) as Record<string, string>;
  const multiQuery = Object.fromEntries(multiParams) as Record<string, string[]>;
  const hasQuery = multiParams.size > 0;
  return {
    resource: route.resource,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(route.pathParameters).length > 0 ? route.pathParameters : null,
    stageVariables: null,
    // As the deployed API, which lists no binaryMediaTypes (infra/constructs/api.ts): every body is
    // text, decoded as UTF-8 with U+FFFD for bytes that are not, whatever its content type.
    body: body.length === 0 ? null : body.toString('utf8'),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'sandbox',
      authorizer: null,
      domainName: String(req.headers.host ?? 'localhost'),
      domainPrefix: 'sandbox',
      extendedRequestId: randomUUID(),
      httpMethod: req.method ?? 'GET',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: String(req.headers['user-agent'] ?? ''),
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: randomUUID(),
      requestTime: new Date().toUTCString(),
      requestTimeEpoch: Date.now(),
      resourceId: 'sandbox',
      resourcePath: route.resource,
      stage,
    },
  };
}

export function writeResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v.map(String);
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8');
  res.writeHead(result.statusCode, headers);
  res.end(body);
}
