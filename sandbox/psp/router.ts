/**
 * The sandbox PSP's HTTP plumbing on the sandbox's own server: claims paths under /sandbox-psp/,
 * reads the body (bounded), sends `v1/…` to the API and `pay/…` to the hosted page, and writes the
 * reply. A failure inside a handler becomes a 500 JSON error, never a crashed server.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logger.js';
import { BodyTooLargeForGateway, drainRequest, readRequestBody } from '../api-gateway.js';
import type { PspApi } from './api.js';
import type { HostedPages } from './hosted.js';
import { notFoundPage } from './pages.js';
import { PREFIX, apiError, page, type Reply } from './reply.js';

const MAX_BODY_BYTES = 64 * 1024;

const readBody = (req: IncomingMessage) => readRequestBody(req, MAX_BODY_BYTES);

export interface PspRouterOptions {
  api: PspApi;
  hosted: HostedPages;
  logger: Logger;
}

/** Serves the request if its path is under /sandbox-psp/ (then resolves true), else resolves false. Never rejects. */
export function createPspRouter({ api, hosted, logger }: PspRouterOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  function route(method: string, pathname: string, req: IncomingMessage, body: Buffer): Reply {
    let segments: string[];
    try {
      segments = pathname.slice(PREFIX.length).split('/').map(decodeURIComponent);
    } catch {
      return apiError(404, 'not_found', 'no such endpoint');
    }
    const [area, ...rest] = segments;
    if (area === 'v1') return api(method, rest, req, body);
    if (area === 'pay' && rest.length >= 1 && rest.length <= 2 && rest[0]) {
      const action = rest[1];
      if (action === undefined || action === 'challenge') return hosted(method, rest[0], action, body);
    }
    return page(404, notFoundPage());
  }

  return async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://sandbox-psp').pathname;
    if (!pathname.startsWith(PREFIX)) return false;
    let reply: Reply;
    try {
      const body = await readBody(req);
      reply = route(req.method ?? 'GET', pathname, req, body);
    } catch (error) {
      if (error instanceof BodyTooLargeForGateway) {
        await drainRequest(req);
        const tooLarge = apiError(413, 'payload_too_large', 'request body too large');
        reply = { ...tooLarge, headers: { ...tooLarge.headers, connection: 'close' } };
      } else {
        logger.error('sandbox psp: request failed', { error });
        reply = apiError(500, 'internal_error', 'sandbox psp failure');
      }
    }
    if (!res.headersSent) {
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    }
    return true;
  };
}
