/**
 * POSTs merchant webhooks over node:http / node:https (not fetch, so that we control DNS).
 *
 * Production policy: https only, and the host is resolved here; if ANY of its addresses is not
 * public the call is refused. The connection then goes to the vetted addresses through a `lookup`
 * that returns them whatever it is asked, so a DNS answer that changes between the check and the
 * connect (rebinding) cannot reach an internal address. SNI and Host stay the URL's host name.
 * Sandbox policy: http and loopback allowed, ordinary DNS, no address checks.
 *
 * Redirects are never followed, one deadline covers DNS + connect + response, the response body is
 * read (capped) and discarded, and error strings never carry header values or the body.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import ipaddr from 'ipaddr.js';
import type { AttemptResult } from '../domain/merchant-webhooks/delivery.js';
import type { WebhookHttp } from '../domain/ports.js';
import { checkUrl, isNonPublicAddress, type UrlPolicy } from '../domain/url-policy.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** All the addresses a host name resolves to (dns.lookup with all: true, by default). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** How much of a response body is read before the connection is dropped. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** Framing and hop-by-hop headers are ours to set: a merchant's header list cannot change them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);

/** ::/8 holds the IPv4-compatible form (::127.0.0.1), which ipaddr.js calls plain unicast. */
const IPV6_RESERVED_ZERO_PREFIX = ipaddr.parseCIDR('::/8');

/** isNonPublicAddress, stricter: anything that is not a valid IP literal is not public either. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 0) return false;
  if (isNonPublicAddress(bare)) return false;
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && !(parsed as ipaddr.IPv6).isIPv4MappedAddress() && parsed.match(IPV6_RESERVED_ZERO_PREFIX)) return false;
  return true;
}

export class WebhookUrlRefusedError extends Error {
  readonly code = 'url_refused';
}

/**
 * The addresses a production webhook may connect to for `hostname`: every one of them public, or a
 * WebhookUrlRefusedError. Resolver failures (ENOTFOUND…) propagate as they are.
 */
export async function vetHost(hostname: string, resolve: Resolver): Promise<ResolvedAddress[]> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  const addresses = family !== 0 ? [{ address: bare, family }] : await resolve(bare);
  if (addresses.length === 0) throw new WebhookUrlRefusedError('the host name has no address');
  if (!addresses.every((a) => isPublicAddress(a.address))) {
    throw new WebhookUrlRefusedError('the host resolves to a private, loopback, link-local or reserved address');
  }
  return addresses;
}

/** A `lookup` for http.request that only ever answers with the already-vetted addresses. */
export function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    const candidates = wanted === 0 ? addresses : addresses.filter((a) => a.family === wanted);
    const first = candidates[0];
    if (!first) {
      const err: NodeJS.ErrnoException = Object.assign(new Error('no vetted address of the requested family'), { code: 'ENOTFOUND' });
      callback(err, '', 0);
      return;
    }
    if (options.all) callback(null, candidates.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, first.address, first.family);
  };
}

/** A short, header- and body-free description of a failure: the error code when there is one. */
function shortError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code)) return code;
  return 'request failed';
}

function requestHeaders(headers: Record<string, string>, body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!RESERVED_HEADERS.has(name.toLowerCase())) out[name] = value;
  }
  out['content-length'] = String(Buffer.byteLength(body, 'utf8'));
  return out;
}

export interface SendOptions {
  /** Aborted at the deadline. */
  signal: AbortSignal;
  /** For the error message only. */
  timeoutMs: number;
  /** Where to connect (production: the vetted addresses); ordinary DNS when absent. */
  lookup?: LookupFunction;
}

/** One POST, no redirects; resolves (never rejects) with the status, or with an error and no status. */
export function sendRequest(url: URL, headers: Record<string, string>, body: string, options: SendOptions): Promise<Omit<AttemptResult, 'duration_ms'>> {
  return new Promise((resolve) => {
    let settled = false;
    let req: http.ClientRequest | undefined;
    let status: number | undefined;
    let retryAfter: string | undefined;

    const finish = (result: Omit<AttemptResult, 'duration_ms'>) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve(result);
    };
    // Once the status line is in, the endpoint has answered: a slow or endless body does not change that.
    const answered = () => {
      const code = status ?? 0;
      finish({
        status_code: code,
        error: code >= 300 && code < 400 ? 'redirect not followed' : null,
        ...(retryAfter !== undefined ? { retry_after: retryAfter } : {}),
      });
    };
    const onAbort = () => (status === undefined ? finish({ status_code: null, error: `timeout after ${options.timeoutMs} ms` }) : answered());

    const client = url.protocol === 'https:' ? https : http;
    try {
      req = client.request(
        url,
        {
          method: 'POST',
          headers: requestHeaders(headers, body),
          // A fresh connection per attempt: nothing pooled from an earlier resolution is reused.
          agent: false,
          ...(options.lookup ? { lookup: options.lookup } : {}),
        },
        (res) => {
          status = res.statusCode ?? 0;
          const header = res.headers['retry-after'];
          retryAfter = Array.isArray(header) ? header[0] : header;
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read >= MAX_RESPONSE_BYTES) answered();
          });
          res.on('end', answered);
          res.on('error', answered);
          res.on('close', answered);
        },
      );
    } catch (err) {
      // Synchronous refusals, e.g. a header value Node will not send (ERR_INVALID_CHAR).
      finish({ status_code: null, error: shortError(err) });
      return;
    }
    req.on('error', (err) => (status === undefined ? finish({ status_code: null, error: shortError(err) }) : answered()));
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | 'aborted'> {
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export class NodeWebhookHttp implements WebhookHttp {
  private readonly urlPolicy: UrlPolicy;
  private readonly resolve: Resolver;

  /** `resolve` is for tests (a host that resolves to a private address); DNS by default. */
  constructor(options: { urlPolicy: UrlPolicy; resolve?: Resolver }) {
    this.urlPolicy = options.urlPolicy;
    this.resolve = options.resolve ?? systemResolver;
  }

  async post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const refusal = checkUrl(url, this.urlPolicy);
      if (refusal) return { status_code: null, duration_ms: elapsed(), error: `refused: the URL ${refusal}` };
      const target = new URL(url);

      let lookup: LookupFunction | undefined;
      if (this.urlPolicy === 'production') {
        try {
          const vetted = await raceAbort(vetHost(target.hostname, this.resolve), controller.signal);
          if (vetted === 'aborted') return { status_code: null, duration_ms: elapsed(), error: `timeout after ${timeoutMs} ms` };
          lookup = pinnedLookup(vetted);
        } catch (err) {
          const error = err instanceof WebhookUrlRefusedError ? `refused: ${err.message}` : shortError(err);
          return { status_code: null, duration_ms: elapsed(), error };
        }
      }

      const result = await sendRequest(target, headers, body, { signal: controller.signal, timeoutMs, ...(lookup ? { lookup } : {}) });
      return { ...result, duration_ms: elapsed() };
    } finally {
      clearTimeout(timer);
    }
  }
}
